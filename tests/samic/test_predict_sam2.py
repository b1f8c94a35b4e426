"""`samic predict` on SAM 2.1: SAMIC's prompts decoded by the SAM 2.1 engine."""

from __future__ import annotations

import json
from pathlib import Path

import cv2

from samic_core.cli.main import main as samic


def test_predict_on_sam2(synthetic_folder: Path, tiny_sam2_checkpoint, tmp_path, capsys):
    folder = synthetic_folder
    model = tmp_path / "m.samic"
    assert samic(["train", str(folder), "--out", str(model), "--epochs", "1", "--image-size",
                  "64", "--device", "cpu", "--backbone-weights", "none"]) == 0  # fmt: skip
    target = tmp_path / "targets"
    target.mkdir()
    for p in sorted(folder.glob("*.png"))[:2]:
        cv2.imwrite(str(target / p.name), cv2.imread(str(p)))
    code = samic(["predict", "--model", str(model), "--refs", str(folder), "--images",
                  str(target), "--checkpoint", str(tiny_sam2_checkpoint), "--model-type",
                  "auto", "--device", "cpu", "--no-cache",
                  "--threshold", "0.01", "--out", str(tmp_path / "ann")])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    written = list((tmp_path / "ann").glob("*.png.json"))
    assert written
    assert all(json.loads(p.read_text())["sam_model"].startswith("sam2.1_custom-") for p in written)
