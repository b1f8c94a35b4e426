"""docs/evaluation.md's PerSeg route, as written: train on FSS-1000 classes, test on PerSeg.

PerSeg gives one annotated reference per class (00.jpg) and no training split, and `samic
train` needs 2 images per class, so SAMIC is trained on FSS-1000 (as the paper does) and tested
on PerSeg's classes with the 00.jpg reference. Here both datasets are generated (FSS layout
and PerSeg layout); the model is trained for one short epoch: this checks the commands, not
the numbers.
"""

from __future__ import annotations

import json

from bench_layouts import make_perseg

from samic_core.cli.main import main
from samic_core.eval.synth import generate_dataset


def test_documented_perseg_route_runs(tmp_path, capsys):
    fss = tmp_path / "fss"
    generate_dataset(fss, classes=6, images_per_class=4, seed=5, size=64)
    generate_dataset(tmp_path / "other", classes=3, images_per_class=3, seed=9, size=64)
    perseg = make_perseg(tmp_path / "PerSeg", tmp_path / "other")
    trn = tmp_path / "fss_trn20"
    assert (
        main(
            ["to-sambox", "--dataset", str(fss), "--format", "fss", "--split-file",
             str(fss / "splits" / "trn.txt"), "--max-images-per-class", "2", "--out", str(trn)]
        )
        == 0
    )  # fmt: skip
    model = tmp_path / "samic_fss.pt"
    assert (
        main(
            ["train", str(trn), "--out", str(model), "--device", "cpu", "--epochs", "1",
             "--image-size", "64", "--backbone-weights", "none", "--schedule", "paper"]
        )
        == 0
    )  # fmt: skip
    out = tmp_path / "perseg_1shot"
    assert (
        main(
            ["eval", "--dataset", str(perseg), "--format", "perseg", "--method", "samic,copy",
             "--model", str(model), "--shots", "1", "--segmenter", "oracle", "--device", "cpu",
             "--out", str(out)]
        )
        == 0
    )  # fmt: skip
    results = json.loads((out / "results.json").read_text())
    assert results["config"]["policy"] == "first" and len(results["episodes"]) == 3 * 2
    assert all(e["supports"][0].endswith("/00.jpg") for e in results["episodes"])
    assert "samic |" in capsys.readouterr().out
    assert "| samic |" in (out / "results.md").read_text()


def test_one_image_per_class_conversion_says_it_cannot_train(tmp_path, capsys):
    generate_dataset(tmp_path / "g", classes=2, images_per_class=2, seed=1, size=64)
    perseg = make_perseg(tmp_path / "PerSeg", tmp_path / "g")
    out = tmp_path / "refs"
    args = ["to-sambox", "--dataset", str(perseg), "--format", "perseg"]
    assert main([*args, "--max-images-per-class", "1", "--out", str(out)]) == 0
    assert "`samic train` needs at least 2 images per class" in capsys.readouterr().err
