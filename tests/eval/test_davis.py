"""DAVIS reader, the previous-frame / first-frame protocol and `samic eval --format davis`."""

from __future__ import annotations

import json

import numpy as np
import pytest
from bench_layouts import make_davis

from samic_core.annotation import AnnotationStore
from samic_core.cli.main import main
from samic_core.errors import SamicError
from samic_core.eval.davis import read_davis
from samic_core.eval.harness import EvalConfig
from samic_core.eval.methods import CenterMethod, CopyMethod
from samic_core.eval.video import evaluate_video, video_rows


def test_read_davis_2017_objects_from_the_palette_and_2016_binary(tmp_path):
    ds = read_davis(make_davis(tmp_path / "d17", 2017), 2017)
    assert [(s.name, s.objects, len(s.frames)) for s in ds.sequences] == [
        ("bear", (1,), 5),
        ("cars", (1, 2), 5),
    ]
    cars = ds.sequences[1]
    labels = ds.labels(cars, 2, (48, 64))
    assert set(np.unique(labels)) == {0, 1, 2} and (labels == 2).sum() == 14 * 16
    ds16 = read_davis(make_davis(tmp_path / "d16", 2016), 2016)
    assert [s.objects for s in ds16.sequences] == [(1,), (1,)]
    assert set(np.unique(ds16.labels(ds16.sequences[1], 0, (48, 64)))) == {0, 1}


def test_read_davis_errors_name_the_problem(tmp_path):
    root = make_davis(tmp_path, 2017)
    with pytest.raises(SamicError, match="--year"):
        read_davis(root, 2018)
    (root / "Annotations" / "480p" / "cars" / "00003.png").unlink()
    with pytest.raises(SamicError, match="00003.png: frame 00003 of cars has no annotation"):
        read_davis(root, 2017)
    with pytest.raises(SamicError, match="not a DAVIS folder"):
        read_davis(tmp_path / "JPEGImages", 2017)


@pytest.mark.parametrize("reference", ["previous", "first"])
def test_video_protocol_scores_frames_1_to_n_minus_2(tmp_path, reference):
    ds = read_davis(make_davis(tmp_path, 2017), 2017)
    res = evaluate_video(ds, [CopyMethod(), CenterMethod()], EvalConfig(), reference)
    copy = res["methods"]["copy"]["segmenters"]["oracle"]
    # objects move 2 px a frame; copied clicks stay inside: the oracle gives the ground truth
    assert copy["J"] == 1.0 and copy["F"] == 1.0 and copy["J&F"] == 1.0
    assert {k: v["frames"] for k, v in copy["per_object"].items()} == {
        "bear/1": 3,
        "cars/1": 3,
        "cars/2": 3,
    }
    assert set(copy["per_sequence"]) == {"bear", "cars"}
    assert res["methods"]["center"]["segmenters"]["oracle"]["J"] == 0.0
    assert res["config"]["davis_reference"] == reference


def test_cli_davis_writes_results_with_paper_reference(tmp_path, capsys):
    root = make_davis(tmp_path / "davis", 2017)
    out = tmp_path / "res"
    args = ["eval", "--dataset", str(root), "--format", "davis", "--method", "copy"]
    assert main([*args, "--out", str(out)]) == 2
    assert "--year" in capsys.readouterr().err
    assert main([*args, "--year", "2017", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "copy | oracle | 100.0 | 100.0 | 100.0" in printed
    assert "Paper's published 1-shot J&F on davis17" in printed and "SAMIC 80.6" in printed
    results = json.loads((out / "results.json").read_text())
    assert results["paper"]["values"]["SAMIC"] == 80.6
    results["methods"]["samic"] = results["methods"]["copy"]  # as if SAMIC had run
    header, rows = video_rows(results)
    assert header[-1] == "paper (1-shot, SAM) J&F" and [r[-1] for r in rows] == ["-", "80.6"]
    md = (out / "results.md").read_text()
    assert "## Per sequence (%), copy, oracle segmenter" in md and "| cars | 100.0" in md


def test_davis_training_frames_convert_to_sambox(tmp_path, capsys):
    root = make_davis(tmp_path / "davis", 2017)
    out = tmp_path / "trn"
    args = ["to-sambox", "--dataset", str(root), "--format", "davis", "--out", str(out)]
    assert main(args) == 2 and "--year" in capsys.readouterr().err
    assert main([*args, "--year", "2017", "--frames-per-sequence", "3"]) == 0
    store = AnnotationStore(out)
    names = sorted(p.name for p in store.images())
    assert names == [f"cars-{k}__{t:05d}.jpg" for k in (1, 2) for t in (0, 2, 4)]
    ann = store.load_json("cars-2__00004.jpg")
    assert [o.label for o in ann.objects] == ["cars-2"]
