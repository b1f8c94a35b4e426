"""The papers' fixed lists read in their own formats, and runs labelled by the list they used."""

from __future__ import annotations

import json
import os
import pickle

import numpy as np
import pytest
from bench_layouts import make_coco, make_fss_classes, make_voc, make_voc_pairs
from PIL import Image

from samic_core.cli.main import main
from samic_core.errors import SamicError
from samic_core.eval.datasets import read_dataset, read_fss, read_perseg
from samic_core.eval.harness import EvalConfig, evaluate
from samic_core.eval.methods import CopyMethod


# ---- Pascal-5i -----------------------------------------------------------------------------
def test_pascal_hsnet_val_list_of_the_reference_size_is_standard(tmp_path):
    root, pairs = make_voc_pairs(tmp_path / "voc", 70)  # 350 pairs; HSNet's fold 0 has 346
    fold = tmp_path / "splits" / "pascal" / "val" / "fold0.txt"
    fold.parent.mkdir(parents=True)
    fold.write_text("\n".join(pairs[:346]) + "\n")
    ds = read_dataset(root, "pascal5i", fold, fold=0)
    assert len(ds.query_order) == 346 and ds.standard_list
    assert ds.describe()["list"] == "standard" and "fold0.txt (346 pairs)" in ds.list_note
    fold.write_text("\n".join(pairs[:340]) + "\n")  # a list of another size is not HSNet's
    ds = read_dataset(root, "pascal5i", fold, fold=0)
    assert not ds.standard_list and "346 pairs" in ds.list_note
    derived = read_dataset(root, "pascal5i", fold=0)  # every val image: 350 pairs
    assert len(derived.query_order) == 350 and derived.describe()["list"] == "non-standard"
    assert "no split file" in derived.list_note


def test_pascal_training_side_is_the_union_of_the_other_folds_lists(tmp_path):
    root = make_voc(tmp_path / "voc")
    trn = tmp_path / "splits" / "pascal" / "trn"
    trn.mkdir(parents=True)
    (trn / "fold0.txt").write_text("2008_000001__2\n")  # fold 0's own classes: not read
    (trn / "fold1.txt").write_text("2008_999999__6\n")  # class 6 (bus) is fold 1's
    (trn / "fold2.txt").write_text("2008_000003__11\n")
    (trn / "fold3.txt").write_text("2008_000004__16\n")
    for given in (trn / "fold0.txt", trn):  # the doc's file of the fold, or the folder
        ds = read_dataset(root, "pascal5i", given, fold=0, split="trn")
        assert "aeroplane" not in ds.classes and len(ds.classes) == 15
        assert [(s.image_path.stem, s.class_name) for s in ds.query_order] == [
            ("2008_999999", "bus"),
            ("2008_000003", "diningtable"),
            ("2008_000004", "pottedplant"),
        ]
        assert not ds.standard_list and "fold1.txt + fold2.txt + fold3.txt" in ds.list_note
    (trn / "fold2.txt").write_text("2008_000003__6\n")  # bus is not fold 2's class
    with pytest.raises(SamicError, match="fold2.txt: class 6 of 2008_000003 is not in this fold"):
        read_dataset(root, "pascal5i", trn, fold=0, split="trn")
    (trn / "fold3.txt").unlink()
    with pytest.raises(SamicError, match="fold3.txt: missing"):
        read_dataset(root, "pascal5i", trn, fold=1, split="trn")


def test_pascal_training_side_without_lists_is_every_sbd_image_outside_val(tmp_path):
    root = make_voc(tmp_path / "voc")
    aug = root / "VOC2012" / "SegmentationClassAug"
    extra = np.zeros((48, 64), np.uint8)
    extra[5:30, 5:30] = 7  # car, an SBD image that VOC's train.txt does not list
    Image.fromarray(extra, mode="L").save(aug / "2011_000001.png")
    (root / "VOC2012" / "JPEGImages" / "2011_000001.jpg").write_bytes(
        (root / "VOC2012" / "JPEGImages" / "2008_999999.jpg").read_bytes()
    )
    ds = read_dataset(root, "pascal5i", fold=0, split="trn")
    assert [s.image_path.stem for s in ds.samples["car"]] == ["2011_000001"]
    assert ds.describe()["list"] == "non-standard" and "SBD" in ds.list_note


# ---- COCO-20i ------------------------------------------------------------------------------
def _pkl(path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(data))


def test_coco_fold_pkl_gives_the_listed_images_and_is_standard(tmp_path):
    root = make_coco(tmp_path / "coco", n_images=6, n_cats=80)
    listed = tmp_path / "splits" / "coco" / "val" / "fold0.pkl"
    # HSNet's lists name `val2014/<file>`; classes 0 and 4 are in fold 0 (index mod 4 == 0)
    data = {k: [] for k in range(0, 80, 4)}
    data[0] = ["val2014/COCO_val2014_000000000001.jpg"]
    data[4] = ["val2014/COCO_val2014_000000000005.jpg", "val2014/COCO_val2014_000000000001.jpg"]
    _pkl(listed, data)
    ds = read_dataset(root, "coco20i", listed, fold=0)
    assert [s.image_path.name for s in ds.samples["cat0"]] == ["COCO_val2014_000000000001.jpg"]
    assert len(ds.samples["cat4"]) == 2 and ds.standard_list
    assert ds.describe()["list"] == "standard" and "fold0.pkl" in ds.list_note
    derived = read_dataset(root, "coco20i", fold=0)
    assert derived.describe()["list"] == "non-standard" and "no split file" in derived.list_note
    del data[8]
    _pkl(listed, data)
    with pytest.raises(SamicError, match=r"fold0.pkl: has no images for class index 8 of fold 0"):
        read_dataset(root, "coco20i", listed, fold=0)


def test_coco_fold_pkl_that_would_run_code_is_refused(tmp_path):
    root = make_coco(tmp_path / "coco", n_images=6, n_cats=80)
    listed = tmp_path / "fold0.pkl"

    class Payload:
        def __reduce__(self):
            return (os.system, ("echo unpickled > " + str(tmp_path / "ran"),))

    _pkl(listed, {0: [Payload()]})
    with pytest.raises(SamicError, match=r"fold0.pkl: not a readable COCO-20i fold list"):
        read_dataset(root, "coco20i", listed, fold=0)
    assert not (tmp_path / "ran").exists()
    _pkl(listed, ["not", "a", "dict"])
    with pytest.raises(SamicError, match="must be a dict"):
        read_dataset(root, "coco20i", listed, fold=0)
    _pkl(listed, {k: ["val2014/nothing.jpg"] for k in range(0, 80, 4)})
    with pytest.raises(SamicError, match=r"image 'val2014/nothing.jpg' is not in instances"):
        read_dataset(root, "coco20i", listed, fold=0)


def test_coco_masks_from_hsnet_pngs_and_crowd_regions_left_out(tmp_path):
    root = make_coco(tmp_path / "coco", n_images=6, n_cats=8)
    ann_file = root / "annotations" / "instances_val2014.json"
    data = json.loads(ann_file.read_text())
    crowd = {"id": 99, "image_id": 101, "category_id": 10, "iscrowd": 1, "area": 100.0,
             "bbox": [40, 30, 10, 10],
             "segmentation": [[40.0, 30, 50, 30, 50, 40, 40, 40]]}  # fmt: skip
    data["annotations"].append(crowd)  # image 1 has cat0 only as a crowd region
    ann_file.write_text(json.dumps(data))
    ds = read_dataset(root, "coco20i", fold=0)
    assert "COCO_val2014_000000000002.jpg" not in [s.image_path.name for s in ds.samples["cat0"]]
    # HSNet's masks (annotations/val2014/<stem>.png, value = class index + 1) win when present
    png_dir = root / "annotations" / "val2014"
    png_dir.mkdir()
    for image in sorted((root / "val2014").glob("*.jpg")):
        labels = np.zeros((48, 64), np.uint8)
        labels[0:10, 0:10] = 1  # class index 0 (cat0)
        labels[40:48, 0:10] = 5  # class index 4 (cat4)
        Image.fromarray(labels, mode="L").save(png_dir / f"{image.stem}.png")
    ds = read_dataset(root, "coco20i", fold=0)
    t = ds.load(ds.samples["cat0"][0])
    assert t.mask.sum() == 100 and t.mask[:10, :10].all()
    (png_dir / "COCO_val2014_000000000005.png").unlink()
    with pytest.raises(SamicError, match=r"COCO_val2014_000000000005.png: missing"):
        read_dataset(root, "coco20i", fold=0)


# ---- FSS-1000 and PerSeg -------------------------------------------------------------------
def test_fss_test_list_of_240_classes_is_standard_and_all_folders_are_not(tmp_path):
    names = [f"class{i:03d}" for i in range(245)]
    root = make_fss_classes(tmp_path / "FSS-1000", names)
    test = tmp_path / "splits" / "fss" / "test.txt"
    test.parent.mkdir(parents=True)
    test.write_text("\n".join(names[:240]) + "\n")
    ds = read_fss(root, test)
    assert ds.standard_list and ds.describe()["list"] == "standard"
    every = read_fss(root)
    assert len(every.classes) == 245 and not every.standard_list
    assert "training classes too" in every.list_note
    (tmp_path / "five.txt").write_text("\n".join(names[:5]))
    assert not read_fss(root, tmp_path / "five.txt").standard_list


def test_perseg_standard_only_with_all_40_classes(tmp_path):
    root = tmp_path / "PerSeg"
    fss = make_fss_classes(tmp_path / "fss", [f"obj{i:02d}" for i in range(40)])
    for cls in fss.iterdir():
        for sub, ext in (("Images", ".jpg"), ("Annotations", ".png")):
            (root / sub / cls.name).mkdir(parents=True)
            for n in (1, 2):
                (root / sub / cls.name / f"0{n - 1}{ext}").write_bytes(
                    (cls / f"{n}{ext}").read_bytes()
                )
    assert read_perseg(root).standard_list
    (tmp_path / "32.txt").write_text("\n".join(f"obj{i:02d}" for i in range(32)))
    ds = read_perseg(root, tmp_path / "32.txt")
    assert not ds.standard_list and "not all of PerSeg's 40" in ds.list_note


# ---- what a run records ----------------------------------------------------------------------
def test_a_capped_or_shortened_run_is_not_standard(tmp_path):
    root, pairs = make_voc_pairs(tmp_path / "voc", 70)
    fold = tmp_path / "fold0.txt"
    fold.write_text("\n".join(pairs[:346]) + "\n")
    ds = read_dataset(root, "pascal5i", fold, fold=0)
    short = evaluate(ds, [CopyMethod()], EvalConfig(policy="cycle", episodes=20)).to_json()
    assert short["list"] == "non-standard" and "20 episodes" in short["list_note"]
    assert short["dataset"]["list"] == "standard"  # the list itself is HSNet's
    for key in ("episodes", "skipped_episodes", "methods", "dataset", "config"):
        assert key in short


def test_cli_labels_the_list_in_the_table_and_the_json(tmp_path, capsys):
    root, pairs = make_voc_pairs(tmp_path / "voc", 70)
    out = tmp_path / "derived"
    args = ["eval", str(root), "--format", "pascal5i", "--fold", "0", "--method", "copy"]
    assert main([*args, "--episodes", "10", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| list" in printed and "| non-standard list" in printed
    results = json.loads((out / "results.json").read_text())
    assert results["list"] == "non-standard" and "no split file" in results["list_note"]
    assert "**non-standard list**" in (out / "results.md").read_text()
    fold = tmp_path / "fold0.txt"
    fold.write_text("\n".join(pairs[:346]) + "\n")
    out = tmp_path / "hsnet"
    assert main([*args, "--split-file", str(fold), "--out", str(out)]) == 0
    results = json.loads((out / "results.json").read_text())
    assert results["list"] == "standard" and len(results["episodes"]) == 1000
    assert "| standard" in capsys.readouterr().out
