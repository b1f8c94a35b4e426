"""`samic eval` on the benchmark layouts, with the paper's numbers as labelled references."""

from __future__ import annotations

import json

from bench_layouts import make_coco, make_folder, make_voc

from samic_core.cli.main import main
from samic_core.eval.report import markdown_report, summary_rows


def _eval(*args: str) -> int:
    return main(["eval", "--method", "copy,center", *args])


def test_pascal5i_and_coco20i_run_a_fixed_number_of_episodes(tmp_path, capsys):
    voc = make_voc(tmp_path / "voc")
    assert _eval("--dataset", str(voc), "--format", "pascal5i", "--out", str(tmp_path / "r")) == 2
    assert "needs --fold" in capsys.readouterr().err
    out = tmp_path / "pascal"
    args = ["--dataset", str(voc), "--format", "pascal5i", "--fold", "0", "--episodes", "12"]
    assert _eval(*args, "--out", str(out)) == 0
    results = json.loads((out / "results.json").read_text())
    assert len(results["episodes"]) == 12 and results["config"]["policy"] == "cycle"
    assert results["dataset"]["fold"] == 0 and results["paper"]["benchmark"] == "pascal5i"
    assert "Paper's published 1-shot mIoU on pascal5i" in (out / "results.md").read_text()
    coco = make_coco(tmp_path / "coco")
    out = tmp_path / "coco_res"
    args = ["--dataset", str(coco), "--format", "coco20i", "--fold", "1", "--episodes", "7"]
    assert _eval(*args, "--out", str(out)) == 0
    results = json.loads((out / "results.json").read_text())
    assert len(results["episodes"]) == 7 and results["config"]["policy"] == "class"
    assert results["dataset"]["classes"] == ["cat1", "cat5"]


def test_folder_needs_a_named_benchmark_for_reference_numbers(tmp_path):
    root = make_folder(tmp_path / "polyps")
    out = tmp_path / "plain"
    assert _eval("--dataset", str(root), "--format", "folder", "--out", str(out)) == 0
    results = json.loads((out / "results.json").read_text())
    assert results["paper"] is None and len(results["episodes"]) == 4
    assert "Paper's published" not in (out / "results.md").read_text()
    out = tmp_path / "kvasir"
    args = ["--dataset", str(root), "--format", "folder", "--benchmark", "kvasir"]
    assert _eval(*args, "--out", str(out)) == 0
    assert "SAMIC 69.3" in (out / "results.md").read_text()


def _results(benchmark: str, segmenters: list[str], episode_list: str) -> dict:
    scores = {"miou": 0.7, "fb_iou": 0.8, "per_class_iou": {"a": 0.7}}
    method = {
        "point_precision": 0.5,
        "instance_recall": 0.5,
        "points_per_image": 1.0,
        "prompt_s_mean": 0.001,
        "segmenters": {seg: scores for seg in segmenters},
    }
    return {
        "dataset": {"root": "r", "format": "fss", "classes": ["a"]},
        "config": {
            "segmenters": segmenters,
            "shots": 1,
            "policy": "random",
            "seed": 0,
            "reference_points": "rule",
            "sam_grouping": "per-point",
            "prompt_rule": {"kind": "interior", "points_per_component": 3},
        },
        "methods": {"samic": method, "persam": method, "copy": method},
        "episodes": [{"class": "a", "embed_s": 0.0}],
        "skipped_episodes": [],
        "sam_model": "vit_h",
        "interrupted": False,
        "paper": {"benchmark": benchmark},
        "list": episode_list,
        "list_note": "a note",
    }


def test_paper_column_beside_samic_and_persam_rows_for_1_shot_only():
    results = _results("fss", ["sam"], "standard")
    header, rows = summary_rows(results)
    assert header[-2:] == ["list", "paper (1-shot, SAM)"]
    assert [r[-1] for r in rows] == ["89.0", "71.2", "-"]
    assert "VAT 90.3" in markdown_report(results)
    assert "Episode list: standard (a note)" in markdown_report(results)
    results["config"]["shots"] = 5
    header, _ = summary_rows(results)
    assert "paper (1-shot, SAM)" not in header
    assert "Paper's published" not in markdown_report(results)


def test_paper_column_needs_the_standard_list_and_sam_and_says_4_fold_mean():
    header, rows = summary_rows(_results("pascal5i", ["sam", "oracle"], "standard"))
    assert header[-1] == "paper (1-shot, SAM, 4-fold mean)" and rows[0][-1] == "80.4"
    assert "means of the 4 folds" in markdown_report(_results("coco20i", ["sam"], "standard"))
    header, rows = summary_rows(_results("pascal5i", ["oracle"], "standard"))
    assert not any(h.startswith("paper") for h in header)  # the paper's numbers are SAM's
    results = _results("pascal5i", ["sam"], "non-standard")
    header, rows = summary_rows(results)
    assert header[-1] == "list" and rows[0][-1] == "non-standard list"
    assert "**non-standard list** (a note)" in markdown_report(results)
