"""COCO-20i, Pascal-5i and image + mask folder readers on generated trees in the real layouts."""

from __future__ import annotations

import numpy as np
import pytest
from bench_layouts import make_coco, make_folder, make_voc

from samic_core.errors import SamicError
from samic_core.eval.benchmarks import coco_fold_indices, pascal_fold_classes
from samic_core.eval.datasets import read_dataset
from samic_core.eval.episodes import make_eval_episodes
from samic_core.eval.metrics import intersection_union


def test_fold_definitions():
    assert pascal_fold_classes(0) == [1, 2, 3, 4, 5]
    assert pascal_fold_classes(3) == [16, 17, 18, 19, 20]
    assert coco_fold_indices(1)[:3] == [1, 5, 9] and len(coco_fold_indices(1)) == 20
    assert sorted(sum((coco_fold_indices(f) for f in range(4)), [])) == list(range(80))
    with pytest.raises(SamicError, match="--fold"):
        pascal_fold_classes(4)


def test_pascal5i_reads_val_images_of_the_fold_with_ignored_borders(tmp_path):
    ds = read_dataset(make_voc(tmp_path), "pascal5i", fold=0)
    assert ds.classes == ["aeroplane", "bicycle", "bird", "boat", "bottle"]
    assert [len(ds.samples[c]) for c in ds.classes] == [4, 4, 0, 0, 0]
    names = [s.image_path.stem for s in ds.query_order]
    assert "2008_999999" not in names  # not in val.txt
    assert names[:3] == ["2008_000000", "2008_000001", "2008_000001"]
    t = ds.load(ds.samples["aeroplane"][0])
    assert t.mask.sum() == 16 * 24 and t.n_components == 1
    assert t.ignore is not None and t.ignore.sum() == 18 * 26 - 16 * 24
    episodes = make_eval_episodes(ds, 1, 0, ds.policy, count=10)
    assert len(episodes) == 10
    assert [e.query for e in episodes[:8]] == ds.query_order  # HSNet: query i = pair i mod n
    assert episodes[8].query == ds.query_order[0]
    for e in episodes:
        assert e.supports[0].class_name == e.class_name
        assert e.supports[0].image_path != e.query.image_path
    assert make_eval_episodes(ds, 1, 0, "cycle", count=10) == episodes  # fixed seed


def test_pascal5i_with_hsnet_fold_file_and_errors(tmp_path):
    root = make_voc(tmp_path)
    fold = tmp_path / "fold0.txt"
    fold.write_text("2008_000002__2\n2008_000003__1\n")
    ds = read_dataset(root, "pascal5i", fold, fold=0)
    assert [(s.image_path.stem, s.class_name) for s in ds.query_order] == [
        ("2008_000002", "bicycle"),
        ("2008_000003", "aeroplane"),
    ]
    fold.write_text("2008_000002__7\n")
    with pytest.raises(SamicError, match="fold0.txt: class 7"):
        read_dataset(root, "pascal5i", fold, fold=0)
    with pytest.raises(SamicError, match="needs --fold"):
        read_dataset(root, "pascal5i")
    (root / "VOC2012" / "SegmentationClassAug").rename(tmp_path / "elsewhere")
    with pytest.raises(SamicError, match="SegmentationClassAug"):
        read_dataset(root, "pascal5i", fold=0)


def test_ignored_pixels_count_in_neither_intersection_nor_union():
    gt = np.zeros((4, 4), bool)
    gt[1:3, 1:3] = True
    ignore = np.zeros((4, 4), bool)
    ignore[0] = True  # the top row
    pred = np.ones((4, 4), bool)
    inter, union = intersection_union(pred, gt, ignore)
    assert inter.tolist() == [0, 4] and union.tolist() == [8, 12]  # 12 pixels kept


def test_coco20i_folds_classes_and_masks(tmp_path):
    root = make_coco(tmp_path)
    ds = read_dataset(root, "coco20i", fold=0)
    assert ds.classes == ["cat0", "cat4"]  # category indices 0 and 4 (k mod 4 == 0)
    assert [s.image_path.name for s in ds.samples["cat0"]] == [
        "COCO_val2014_000000000001.jpg",
        "COCO_val2014_000000000005.jpg",
    ]
    t = ds.load(ds.samples["cat0"][0])  # image 0: cat0 is the box (4, 4) - (28, 20)
    ys, xs = np.nonzero(t.mask)
    assert abs(int(t.mask.sum()) - 24 * 16) <= 45 and t.n_components == 1
    assert xs.min() >= 3 and xs.max() <= 28 and ys.min() >= 3 and ys.max() <= 20
    assert read_dataset(root, "coco20i", fold=1).classes == ["cat1", "cat5"]
    episodes = make_eval_episodes(ds, 1, 0, ds.policy, count=12)
    assert len(episodes) == 12 and {e.class_name for e in episodes} == {"cat0", "cat4"}
    assert all(e.supports[0].image_path != e.query.image_path for e in episodes)
    with pytest.raises(SamicError, match="instances_val2014.json"):
        read_dataset(tmp_path / "val2014", "coco20i", fold=0)


def test_folder_binary_and_indexed_masks(tmp_path):
    ds = read_dataset(make_folder(tmp_path / "kvasir"), "folder")
    assert ds.classes == ["kvasir"] and len(ds.samples["kvasir"]) == 4
    t = ds.load(ds.samples["kvasir"][0])
    assert t.mask.sum() == 20 * 20 + 15 * 25 and t.n_components == 1  # touching: one part
    indexed = read_dataset(make_folder(tmp_path / "nwpu", indexed=True), "folder")
    t = indexed.load(indexed.samples["nwpu"][0])
    assert t.mask.sum() == 20 * 20 + 15 * 25 and t.n_components == 2  # one part per label
    (tmp_path / "kvasir" / "masks" / "2.png").unlink()
    with pytest.raises(SamicError, match=r"2\.jpg: has no mask"):
        read_dataset(tmp_path / "kvasir", "folder")
    with pytest.raises(SamicError, match="needs images/ and masks/"):
        read_dataset(tmp_path, "folder")


def test_folder_jpeg_masks_use_the_midpoint(tmp_path):
    import cv2

    root = make_folder(tmp_path / "k")
    for p in (root / "masks").glob("*.png"):
        grey = cv2.imread(str(p), cv2.IMREAD_GRAYSCALE)
        cv2.imwrite(str(p.with_suffix(".jpg")), grey, [cv2.IMWRITE_JPEG_QUALITY, 60])
        p.unlink()
    ds = read_dataset(root, "folder")
    t = ds.load(ds.samples["k"][0])
    assert abs(int(t.mask.sum()) - (20 * 20 + 15 * 25)) < 40


def test_training_side_of_a_fold_converts_to_sambox(tmp_path, capsys):
    from samic_core.annotation import AnnotationStore
    from samic_core.cli.main import main

    voc = make_voc(tmp_path / "voc")
    trn = read_dataset(voc, "pascal5i", fold=1, split="trn")
    assert "bicycle" in trn.classes and "car" not in trn.classes and len(trn.classes) == 15
    assert [s.image_path.stem for s in trn.samples["bicycle"]] == ["2008_999999"]
    coco = make_coco(tmp_path / "coco", part="train2014")
    ctrn = read_dataset(coco, "coco20i", fold=0, split="trn")
    assert ctrn.classes == ["cat1", "cat2", "cat3", "cat5", "cat6", "cat7"]
    out = tmp_path / "sambox"
    args = ["to-sambox", "--dataset", str(coco), "--format", "coco20i", "--fold", "0"]
    assert main([*args, "--fraction", "0.5", "--out", str(out)]) == 0
    names = sorted(p.name for p in AnnotationStore(out).images())
    assert len(names) == 6 and names[0] == "cat1__COCO_train2014_000000000002.jpg"
