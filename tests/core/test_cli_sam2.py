"""The CLI on SAM 2.1: `segment`, `embed --cache-dir` and the Ray actors' engine take a SAM 2.1
checkpoint, its type told from the file (tests/samic/test_predict_sam2.py: `predict`)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from samic_core.cli.main import main as samic
from samic_core.fileio import read_image_rgb
from samic_core.sam.sam2_loading import load_sam2


def test_segment_and_embed_on_sam2(
    tiny_sam2_checkpoint: Path, image_folder: Path, tmp_path, capsys
):
    from sam2.sam2_image_predictor import SAM2ImagePredictor

    cache = tmp_path / "cache"
    assert samic(["embed", str(image_folder), "--checkpoint", str(tiny_sam2_checkpoint),
                  "--device", "cpu", "--cache-dir", str(cache)]) == 0  # fmt: skip
    assert "encoded" in capsys.readouterr().out
    entries = list(cache.rglob("*.emb"))
    assert entries and all(p.parts[-3].startswith("sam2.1_custom-") for p in entries)
    out = tmp_path / "m.png"
    args = ["segment", str(image_folder / "a.png"), "--checkpoint", str(tiny_sam2_checkpoint),
            "--device", "cpu", "--cache-dir", str(cache), "--point", "80,120",
            "--point", "230,110,0", "--box", "40,60,200,200", "--out", str(out)]  # fmt: skip
    assert samic(args) == 0
    line = capsys.readouterr().out
    model, _ = load_sam2(tiny_sam2_checkpoint)
    predictor = SAM2ImagePredictor(model)
    predictor.set_image(read_image_rgb(image_folder / "a.png"))
    masks, scores, _ = predictor.predict(
        np.array([[80, 120], [230, 110]], float), np.array([1, 0]),
        np.array([40, 60, 200, 200], float), multimask_output=False,
    )  # fmt: skip
    got = cv2.imread(str(out), cv2.IMREAD_UNCHANGED) > 0
    assert (got & masks[0].astype(bool)).sum() / max(
        1, (got | masks[0].astype(bool)).sum()
    ) >= 0.999
    assert f"{scores[0]:.4f}" in line


def test_ray_actors_build_the_sam2_engine(tiny_sam2_checkpoint: Path, tmp_path):
    """What an actor does with the driver's plain spec (no cluster needed to check that)."""
    from samic_core.sam.sam2_engine import Sam2Engine
    from samic_core.scale.ray_runtime import build_engine

    spec = {"checkpoint": str(tiny_sam2_checkpoint), "model_type": "auto",
            "cache_dir": str(tmp_path / "c"), "cache_dtype": "float16", "max_bytes": None,
            "precision": "fp32"}  # fmt: skip
    engine = build_engine(spec, "cpu", 1)
    assert isinstance(engine, Sam2Engine) and engine.cache is not None
    assert engine.cache.dtype == "float16" and engine.cache.root == tmp_path / "c"
