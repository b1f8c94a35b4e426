"""`samic eval` end to end: results files, the several-methods table, SAM, errors."""

from __future__ import annotations

import json
import shutil

import cv2
import pytest

from samic_core.annotation import AnnotationStore
from samic_core.cli.main import main


def _eval(*args: str) -> int:
    return main(["eval", *args])


def test_eval_writes_json_markdown_and_chart_for_all_methods(synth_fss, tmp_path, capsys):
    out = tmp_path / "results"
    args = [
        "--dataset",
        str(synth_fss),
        "--format",
        "fss",
        "--method",
        "copy",
        "--method",
        "center",
        "--shots",
        "1",
        "--segmenter",
        "oracle",
        "--out",
        str(out),
    ]
    assert _eval(*args) == 0
    printed = capsys.readouterr().out
    assert "copy |" in printed and "center |" in printed and "20 episodes" in printed
    results = json.loads((out / "results.json").read_text())
    assert list(results["methods"]) == ["copy", "center"]
    assert len(results["episodes"]) == 20
    assert results["config"]["policy"] == "random" and results["config"]["shots"] == 1
    assert set(results["episodes"][0]["methods"]) == {"copy", "center"}
    md = (out / "results.md").read_text()
    assert "| method | mIoU (oracle) | FB-IoU (oracle) | point precision" in md
    assert md.count("\n| copy |") == 1 and "## Per-class IoU (%), oracle segmenter" in md
    for c in results["dataset"]["classes"]:
        assert f"| {c} |" in md
    chart = cv2.imread(str(out / "iou_per_class.png"))
    assert chart is not None and chart.shape[1] > 300
    # a second run must not silently replace the first
    assert _eval(*args) == 2
    assert "already exists" in capsys.readouterr().err
    assert _eval(*args, "--overwrite", "--shots", "2") == 0
    assert json.loads((out / "results.json").read_text())["config"]["shots"] == 2


def test_eval_with_tiny_sam_persam_and_both_segmenters(synth_fss, tmp_path, tiny_sam_checkpoint):
    split = tmp_path / "two.txt"
    names = sorted(p.name for p in synth_fss.iterdir() if p.name != "splits")[:2]
    split.write_text("\n".join(names) + "\n")
    out = tmp_path / "res"
    rc = _eval(
        "--dataset",
        str(synth_fss),
        "--format",
        "fss",
        "--method",
        "persam,copy",
        "--segmenter",
        "oracle,sam",
        "--split-file",
        str(split),
        "--episodes-per-class",
        "1",
        "--checkpoint",
        str(tiny_sam_checkpoint),
        "--device",
        "cpu",
        "--sam-prompts",
        "joint",
        "--out",
        str(out),
    )
    assert rc == 0
    results = json.loads((out / "results.json").read_text())
    assert results["sam_model"].startswith("custom-")
    assert [e["class"] for e in results["episodes"]] == names
    for name in ("persam", "copy"):
        segs = results["methods"][name]["segmenters"]
        assert set(segs) == {"oracle", "sam"}
        assert 0.0 <= segs["sam"]["miou"] <= 1.0
    persam_pts = results["episodes"][0]["methods"]["persam"]["points"]
    assert [p[2] for p in persam_pts] == [1, 0]  # one positive, one negative point
    assert all(e["embed_s"] > 0 for e in results["episodes"])
    assert "mIoU (sam)" in (out / "results.md").read_text()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--method", "samic"], "needs --model"),
        (["--method", "persam"], "no SAM checkpoint"),
        (["--method", "copy", "--segmenter", "sam"], "no SAM checkpoint"),
        (["--method", "copy", "--shots", "9"], "10 images a 9-shot episode needs"),
    ],
)
def test_eval_errors_are_clear(synth_fss, tmp_path, capsys, extra, message):
    rc = _eval(
        "--dataset",
        str(synth_fss),
        "--format",
        "fss",
        "--out",
        str(tmp_path / "r"),
        "--model-type",
        "vit_b",
        *extra,
    )
    assert rc == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "r" / "results.json").exists()


def test_eval_rejects_unknown_method(synth_fss, tmp_path, capsys):
    with pytest.raises(SystemExit):
        _eval(
            "--dataset",
            str(synth_fss),
            "--format",
            "fss",
            "--method",
            "copy,matcher",
            "--out",
            str(tmp_path),
        )
    assert "invalid choice 'copy,matcher'" in capsys.readouterr().err


def test_to_sambox_then_eval_uses_the_annotated_clicks(synth_fss, tmp_path):
    sb = tmp_path / "sb"
    assert main(["to-sambox", "--dataset", str(synth_fss), "--format", "fss", "--out", str(sb),
                 "--max-images-per-class", "3", "--ref-rule", "interior:1"]) == 0  # fmt: skip
    store = AnnotationStore(sb)
    assert len(store.images()) == 5 * 3
    out = tmp_path / "r"
    assert (
        _eval("--dataset", str(sb), "--format", "sambox", "--method", "copy", "--out", str(out))
        == 0
    )
    results = json.loads((out / "results.json").read_text())
    assert results["config"]["policy"] == "random" and len(results["episodes"]) == 15
    for ep in results["episodes"]:
        ann = store.load_json(ep["supports"][0])
        clicks = [[p.x, p.y] for o in ann.objects for p in o.points]
        assert ep["reference_points"][0] == clicks
        assert len(clicks) == len(ann.objects)  # interior:1 = one click per component


def test_perseg_defaults_to_the_first_image_as_reference(synth_fss, tmp_path):
    root = tmp_path / "PerSeg"
    for cls in (p for p in synth_fss.iterdir() if p.name != "splits"):
        for image in cls.glob("*.jpg"):
            for sub, f in (("Images", image), ("Annotations", image.with_suffix(".png"))):
                dest = root / sub / cls.name / f"{int(image.stem) - 1:02d}{f.suffix}"
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(f, dest)
    out = tmp_path / "r"
    assert _eval("--dataset", str(root), "--format", "perseg", "--method", "center,copy",
                 "--out", str(out)) == 0  # fmt: skip
    results = json.loads((out / "results.json").read_text())
    assert results["config"]["policy"] == "first" and len(results["episodes"]) == 5 * 3
    assert all(ep["supports"][0].endswith("/00.jpg") for ep in results["episodes"])
