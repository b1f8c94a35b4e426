"""DAVIS reader, the previous-frame / first-frame protocol and `samic eval --format davis`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from bench_layouts import make_davis
from PIL import Image

from samic_core.annotation import AnnotationStore
from samic_core.cli.main import main
from samic_core.errors import SamicError
from samic_core.eval.davis import read_davis
from samic_core.eval.harness import EvalConfig
from samic_core.eval.labels import read_labels
from samic_core.eval.methods import CenterMethod, CopyMethod, Prediction, PromptMethod, Query
from samic_core.eval.video import evaluate_video, video_rows
from samic_core.eval.vos_metrics import f_measure
from samic_core.sam.engine import SamEngine


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


def test_davis_2016_package_list_is_read_from_imagesets_480p(tmp_path):
    root = make_davis(tmp_path / "d16", 2016, lists="480p")  # val.txt: frame lines of bear
    ds = read_davis(root, 2016)
    assert [s.name for s in ds.sequences] == ["bear"]
    assert ds.describe()["list"] == "standard" and "ImageSets/480p/val.txt" in ds.list_note
    assert [s.name for s in read_davis(root, 2016, split="train").sequences] == ["cars"]
    packaged = make_davis(tmp_path / "d17pkg", 2016)  # the 2017 package's ImageSets/2016
    assert read_davis(packaged, 2016).standard_list
    listed = root / "ImageSets" / "480p" / "val.txt"
    listed.write_text("/JPEGImages/480p/../00000.jpg /Annotations/480p/../00000.png\n")
    with pytest.raises(SamicError, match=r"val.txt: sequence '\.\.'"):
        read_davis(root, 2016)  # a frame line's sequence is checked like any name
    listed.write_text("/JPEGImages/480p/bear/00000.jpg\n/tmp/elsewhere\n")
    with pytest.raises(SamicError, match=r"val.txt: line '/tmp/elsewhere' is not /JPEGImages"):
        read_davis(root, 2016)


def test_davis_without_a_list_refuses_unless_all_sequences(tmp_path, capsys):
    root = make_davis(tmp_path / "d16", 2016, lists="none")
    with pytest.raises(SamicError, match=r"ImageSets/480p/val.txt or ImageSets/2016/val.txt.*"
                       "--all-sequences"):  # fmt: skip
        read_davis(root, 2016)
    ds = read_davis(root, 2016, all_sequences=True)
    assert [s.name for s in ds.sequences] == ["bear", "cars"] and not ds.standard_list
    listed = tmp_path / "mine.txt"
    listed.write_text("cars\n")
    ds = read_davis(root, 2016, listed)
    assert [s.name for s in ds.sequences] == ["cars"] and ds.describe()["list"] == "non-standard"
    out = tmp_path / "res"
    args = ["eval", str(root), "--format", "davis", "--year", "2016", "--method", "copy"]
    assert main([*args, "--out", str(out)]) == 2
    assert "--all-sequences" in capsys.readouterr().err
    assert main([*args, "--all-sequences", "--out", str(out)]) == 0
    assert "| non-standard list" in capsys.readouterr().out
    results = json.loads((out / "results.json").read_text())
    assert results["list"] == "non-standard" and "--all-sequences" in results["list_note"]
    assert set(results["dataset"]["sequences"]) == {"bear", "cars"}


class ObjectAndRing(PromptMethod):
    """Segments each query as its object plus the void ring around it, read from the
    annotation: what a mask that covers the object's border pixels looks like."""

    name = "ring"

    def set_references(self, references) -> None:
        pass

    def predict(self, query: Query) -> Prediction:
        self.path = query.path
        return Prediction.positives(np.array([[1.0, 1.0]]))

    def segment(self, engine, emb, prediction, grouping) -> np.ndarray:
        parts = self.path.parts
        mask = Path(*parts[:-4], "Annotations", *parts[-3:-1], self.path.stem + ".png")
        return read_labels(mask) > 0


def _official_scores(pred: np.ndarray, annotation: np.ndarray, obj: int) -> tuple[float, float]:
    """J and F as davis2017-evaluation scores a frame: void (255) set to background when the
    annotation is read, then the object's binary mask; the void mask it then passes is empty."""
    gt = np.where(annotation == 255, 0, annotation) == obj
    union = np.count_nonzero(pred | gt)
    j = 1.0 if union == 0 else np.count_nonzero(pred & gt) / union
    return j, f_measure(pred, gt)


def test_void_pixels_score_as_background_as_the_official_evaluation(tmp_path, tiny_sam_checkpoint):
    root = make_davis(tmp_path / "d17", 2017)
    for mask in sorted((root / "Annotations" / "480p" / "bear").glob("*.png")):
        labels = read_labels(mask)
        obj = labels == 1
        ring = np.zeros_like(obj)
        ring[1:-1, 1:-1] = obj[:-2, 1:-1] | obj[2:, 1:-1] | obj[1:-1, :-2] | obj[1:-1, 2:]
        labels[ring & ~obj] = 255  # a void border around the object, as DAVIS draws it
        im = Image.open(mask)
        out = Image.fromarray(labels, mode="P")
        out.putpalette(im.getpalette())
        out.save(mask)
    (tmp_path / "bear.txt").write_text("bear\n")
    ds = read_davis(root, 2017, tmp_path / "bear.txt")
    engine = SamEngine(tiny_sam_checkpoint, device="cpu")
    config = EvalConfig(segmenters=("sam",))
    res = evaluate_video(ds, [ObjectAndRing()], config, engine=engine)
    scores = res["methods"]["ring"]["segmenters"]["sam"]
    expected = []
    for t in (1, 2, 3):
        annotation = read_labels(ds.sequences[0].masks[t])
        pred = annotation > 0
        expected.append(_official_scores(pred, annotation, 1))
    j, f = np.mean([e[0] for e in expected]), np.mean([e[1] for e in expected])
    assert j == pytest.approx(14 * 16 / (16 * 18 - 4))  # the ring (no corners) is a false positive
    assert scores["J"] == pytest.approx(j) and scores["F"] == pytest.approx(f)
    assert 255 not in np.unique(ds.labels(ds.sequences[0], 2, (48, 64)))  # void: background


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
    assert results["paper"]["values"]["SAMIC"] == 80.6 and results["list"] == "standard"
    oracle = results["methods"]["copy"]["segmenters"]["oracle"]
    header, rows = video_rows(results)
    assert "paper" not in " ".join(header)  # an oracle-only run: no row with SAM
    results["methods"]["samic"] = {"segmenters": {"oracle": oracle, "sam": oracle}}
    header, rows = video_rows(results)  # as if SAMIC had run with both segmenters
    assert header[-1] == "paper (1-shot, SAM) J&F"
    assert [(r[0], r[1], r[-1]) for r in rows] == [
        ("copy", "oracle", "-"), ("samic", "oracle", "-"), ("samic", "sam", "80.6")
    ]  # fmt: skip
    results["list"] = "non-standard"
    header, rows = video_rows(results)
    assert "paper" not in " ".join(header) and rows[-1][5] == "non-standard list"
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


def test_davis_without_a_train_list_converts_only_when_told_to(tmp_path, capsys):
    """No ImageSets list: the refusal names a flag to-sambox accepts, which then converts
    every sequence."""
    root = make_davis(tmp_path / "davis", 2017, lists="none")
    out = tmp_path / "trn"
    args = ["to-sambox", str(root), "--format", "davis", "--year", "2017", "--out", str(out)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "--all-sequences" in err and err.count("\n") == 1
    assert main([*args, "--all-sequences", "--frames-per-sequence", "2"]) == 0
    names = {p.name.split("__")[0] for p in AnnotationStore(out).images()}
    assert names == {"bear-1", "cars-1", "cars-2"}


@pytest.mark.slow  # 3 objects x 5 frames through a tiny SAM 2.1 at 1024 px: ~20 s on 2 cores
def test_sam2_video_method_propagates_frame_0_masks_and_is_scored(
    tmp_path, capsys, tiny_sam2_checkpoint, tiny_sam_checkpoint
):
    """--method sam2-video: SAM 2.1's memory carries frame 0's true masks; J and F per object on
    DAVIS's scored frames, in today's results layout, beside a prompt method. (Fast sibling:
    the next test, one object over three frames.)"""
    root = make_davis(tmp_path / "davis", 2017)
    args = ["eval", str(root), "--format", "davis", "--year", "2017",
            "--method", "sam2-video,copy", "--device", "cpu"]  # fmt: skip
    sam1 = ["--checkpoint", str(tiny_sam_checkpoint), "--out", str(tmp_path / "a")]
    assert main([*args, *sam1]) == 2
    assert "needs a SAM 2.1 checkpoint" in capsys.readouterr().err
    out = tmp_path / "res"
    assert main([*args, "--checkpoint", str(tiny_sam2_checkpoint), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "sam2-video | sam |" in printed and "copy | oracle | 100.0" in printed
    results = json.loads((out / "results.json").read_text())
    video = results["methods"]["sam2-video"]
    assert video["method"]["sam_model"].startswith("sam2.1_custom-")
    sam = video["segmenters"]["sam"]
    assert {k: v["frames"] for k, v in sam["per_object"].items()} == {
        "bear/1": 3, "cars/1": 3, "cars/2": 3
    }  # fmt: skip
    assert 0.0 <= sam["J"] <= 1.0 and 0.0 <= sam["F"] <= 1.0
    assert sam["J&F"] == pytest.approx((sam["J"] + sam["F"]) / 2)
    img = ["eval", str(root), "--format", "fss", "--method", "sam2-video",
           "--out", str(tmp_path / "b")]  # fmt: skip
    assert main(img) == 2 and "is for --format davis" in capsys.readouterr().err


def test_sam2_video_method_scores_one_object_of_a_short_sequence(tmp_path, tiny_sam2_checkpoint):
    """The slow test above on the smallest case: one sequence of one object, three frames (so
    one scored frame), the same results layout."""
    root = make_davis(tmp_path / "davis", 2017, frames=3)
    (root / "ImageSets" / "2017" / "val.txt").write_text("bear\n")
    out = tmp_path / "res"
    args = ["eval", str(root), "--format", "davis", "--year", "2017", "--method", "sam2-video",
            "--device", "cpu", "--checkpoint", str(tiny_sam2_checkpoint),
            "--out", str(out)]  # fmt: skip
    assert main(args) == 0
    sam = json.loads((out / "results.json").read_text())["methods"]["sam2-video"]
    sam = sam["segmenters"]["sam"]
    assert {k: v["frames"] for k, v in sam["per_object"].items()} == {"bear/1": 1}
    assert 0.0 <= sam["J"] <= 1.0 and sam["J&F"] == pytest.approx((sam["J"] + sam["F"]) / 2)
