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


def test_briefly_trained_samic_beats_copy_and_center(tmp_path):
    generate_dataset(tmp_path / "all", classes=6, images_per_class=14, seed=11, size=96)
    trn, test = _split(tmp_path / "all", tmp_path)
    export_sambox(read_fss(trn), tmp_path / "sambox")
    result = train(
        TrainConfig(
            folder=tmp_path / "sambox",
            out=tmp_path / "samic.pt",
            epochs=22, schedule="paper",
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
