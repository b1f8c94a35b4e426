"""A briefly trained SAMIC places better prompts than the trivial baselines (oracle mIoU).

SAMIC is trained on a SAMBOX folder converted from generated data (random ResNet-50 backbone,
96 x 96 input, 22 epochs of 15 steps) and evaluated through `samic eval` on held-out images of
the same classes: each image also shows distractors of the other classes, so the prompts must
follow the reference, not a fixed class.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from samic_core.cli.main import main
from samic_core.eval.datasets import read_fss
from samic_core.eval.synth import generate_dataset
from samic_core.eval.to_sambox import export_sambox
from samic_core.train.trainer import TrainConfig, train

TRAIN_IMAGES = 10


def _split(all_dir: Path, root: Path) -> tuple[Path, Path]:
    """Images 1..10 of each class for training, the rest for evaluation."""
    for cls in (p for p in all_dir.iterdir() if p.is_dir() and p.name != "splits"):
        for image in cls.glob("*.jpg"):
            part = "trn" if int(image.stem) <= TRAIN_IMAGES else "test"
            (root / part / cls.name).mkdir(parents=True, exist_ok=True)
            for f in (image, image.with_suffix(".png")):
                shutil.copy(f, root / part / cls.name / f.name)
    return root / "trn", root / "test"


# about 30 s of CPU; test_samic_runs_through_eval_on_held_out_images is its fast sibling
@pytest.mark.slow
def test_briefly_trained_samic_beats_copy_and_center(tmp_path):
    generate_dataset(tmp_path / "all", classes=6, images_per_class=14, seed=11, size=96)
    trn, test = _split(tmp_path / "all", tmp_path)
    export_sambox(read_fss(trn), tmp_path / "sambox")
    result = train(
        TrainConfig(
            folder=tmp_path / "sambox",
            out=tmp_path / "samic.pt",
            epochs=22,
            schedule="paper",
            batch_size=4,
            lr=1e-3,
            patience=22,
            image_size=96,
            device="cpu",
            backbone="resnet50",
            backbone_weights="none",
            seed=0,
            val_fraction=0.0,
        )
    )
    assert result.best_path is not None
    out = tmp_path / "results"
    rc = main(
        [
            "eval",
            "--dataset",
            str(test),
            "--format",
            "fss",
            "--method",
            "samic,copy,center",
            "--model",
            str(result.best_path),
            "--shots",
            "1",
            "--segmenter",
            "oracle",
            "--device",
            "cpu",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    methods = json.loads((out / "results.json").read_text())["methods"]
    miou = {m: s["segmenters"]["oracle"]["miou"] for m, s in methods.items()}
    precision = {m: s["point_precision"] for m, s in methods.items()}
    assert miou["samic"] > max(miou["copy"], miou["center"]) + 0.1, miou
    assert precision["samic"] > max(precision["copy"], precision["center"]), precision
    assert "| samic |" in (out / "results.md").read_text()


def test_samic_runs_through_eval_on_held_out_images(tmp_path):
    """The fast sibling: the same split, training and `samic eval` path, shrunk (64 x 64, two
    epochs). Two epochs do not teach the prompts anything, so this checks the pipeline (every
    held-out episode gets SAMIC points scored beside the baselines), not that SAMIC wins."""
    generate_dataset(tmp_path / "all", classes=2, images_per_class=12, seed=11, size=64)
    trn, test = _split(tmp_path / "all", tmp_path)
    export_sambox(read_fss(trn), tmp_path / "sambox")
    result = train(
        TrainConfig(
            folder=tmp_path / "sambox", out=tmp_path / "samic.pt", epochs=2, image_size=64,
            device="cpu", backbone_weights="none", val_fraction=0.0, schedule="paper",
        )
    )  # fmt: skip
    assert result.best_path is not None and result.epochs_run == 2
    out = tmp_path / "results"
    args = ["eval", "--dataset", str(test), "--format", "fss", "--method", "samic,copy,center"]
    args += ["--model", str(result.best_path), "--segmenter", "oracle", "--device", "cpu"]
    assert main([*args, "--out", str(out)]) == 0
    results = json.loads((out / "results.json").read_text())
    assert len(results["episodes"]) == 2 * 2  # images 11 and 12 of each class are queries
    assert all(e["supports"][0].split("/")[1] in ("11.jpg", "12.jpg") for e in results["episodes"])
    for episode in results["episodes"]:
        assert set(episode["methods"]) == {"samic", "copy", "center"}
        assert 0 <= episode["methods"]["samic"]["oracle"]["iou"] <= 1
    assert 0 <= results["methods"]["samic"]["segmenters"]["oracle"]["miou"] <= 1
    assert "| samic |" in (out / "results.md").read_text()
