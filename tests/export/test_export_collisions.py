"""Exports never map two images to one output file: a.jpg and a.png both annotated get files
named by their full names (LabelMe a.jpg.json, YOLO labels/a.png.txt beside images/a.png.png,
VOC a.png.png and id a.png); images whose stems do not collide keep their stem names."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from export_helpers import disk, save, write_rgb

from samic_core.annotation import AnnotatedObject, AnnotationStore
from samic_core.export import export_folder, import_folder
from samic_core.export.common import output_stems
from samic_core.export.voc import read_indexed_png
from samic_core.export.yolo import read_yolo_labels
from samic_core.testing import make_blob_image

SIZE = (60, 80)
# image -> (label, disk centre): every image holds one object of its own class and place
OBJECTS = {"a.jpg": ("cat", (20, 20)), "a.png": ("dog", (60, 40)), "b.png": ("bird", (40, 30))}


def _folder(tmp_path: Path, objects: dict[str, tuple[str, tuple[int, int]]] = OBJECTS) -> Path:
    folder = tmp_path / "images"
    store = AnnotationStore(folder)
    for i, (name, (label, (cx, cy))) in enumerate(objects.items()):
        write_rgb(folder / name, make_blob_image(SIZE[0], SIZE[1], None, i + 1))
        save(store, name, [(AnnotatedObject(id=1, label=label), disk(SIZE, cx, cy, 8))])
    return folder


def _mask(name: str, objects=OBJECTS) -> np.ndarray:
    cx, cy = objects[name][1]
    return disk(SIZE, cx, cy, 8)


def test_output_stems_use_full_names_only_where_stems_collide():
    assert output_stems(["a.jpg", "a.png", "b.png"]) == {
        "a.jpg": "a.jpg", "a.png": "a.png", "b.png": "b",
    }  # fmt: skip
    # a full name may equal another image's stem: that one uses its full name too
    assert output_stems(["a.jpg", "a.png", "a.jpg.png", "c.d.png"]) == {
        "a.jpg": "a.jpg", "a.png": "a.png", "a.jpg.png": "a.jpg.png", "c.d.png": "c.d",
    }  # fmt: skip
    # stems differing only in case collide on case-insensitive disks (macOS, Windows)
    assert output_stems(["A.png", "a.jpg"]) == {"A.png": "A.png", "a.jpg": "a.jpg"}
    # deterministic: the order the images come in does not matter
    names = ["x.png", "x.jpg", "x.jpg.png", "y.png", "Y.tif"]
    assert output_stems(names) == output_stems(list(reversed(names)))


def test_labelme_export_keeps_both_images_labels(tmp_path: Path):
    folder = _folder(tmp_path)
    out = tmp_path / "labelme"
    report = export_folder(folder, "labelme", out)
    assert report.images == 3 and report.objects == 3
    assert sorted(p.name for p in out.glob("*.json")) == ["a.jpg.json", "a.png.json", "b.json"]
    for json_name, image in (("a.jpg.json", "a.jpg"), ("a.png.json", "a.png"), ("b.json", "b.png")):
        data = json.loads((out / json_name).read_text())
        assert data["imagePath"] == image and (out / image).is_file()
        assert [s["label"] for s in data["shapes"]] == [OBJECTS[image][0]]
    # and the import pairs each JSON with its own image again
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    for name in OBJECTS:
        shutil.copy2(folder / name, fresh / name)
    assert import_folder(out, "labelme", fresh).images == 3
    store = AnnotationStore(fresh)
    for name, (label, _) in OBJECTS.items():
        loaded = store.load(name)
        assert [o.label for o in loaded.annotation.objects] == [label]
        assert np.array_equal(loaded.instances == 1, _mask(name))


def test_yolo_export_pairs_each_label_file_with_its_own_image(tmp_path: Path):
    folder = _folder(tmp_path)
    out = tmp_path / "yolo"
    export_folder(folder, "yolo", out)
    labels = sorted(p.name for p in (out / "labels").iterdir())
    images = sorted(p.name for p in (out / "images").iterdir())
    assert labels == ["a.jpg.txt", "a.png.txt", "b.txt"]
    assert images == ["a.jpg.jpg", "a.png.png", "b.png"]  # Ultralytics: labels/<image stem>.txt
    classes = AnnotationStore(folder).load_classes()
    for label, image in (("a.jpg.txt", "a.jpg"), ("a.png.txt", "a.png"), ("b.txt", "b.png")):
        ((cls, mask),) = read_yolo_labels(out / "labels" / label, SIZE)
        assert classes[cls] == OBJECTS[image][0]
        assert (mask & _mask(image)).sum() / (mask | _mask(image)).sum() > 0.95
    assert (out / "images" / "a.png.png").read_bytes() == (folder / "a.png").read_bytes()


def test_voc_export_writes_one_mask_per_image(tmp_path: Path):
    folder = _folder(tmp_path)
    out = tmp_path / "voc"
    export_folder(folder, "voc", out)
    ids = (out / "ImageSets" / "Segmentation" / "default.txt").read_text().split()
    assert ids == ["a.jpg", "a.png", "b"]
    assert sorted(p.name for p in (out / "JPEGImages").iterdir()) == [
        "a.jpg.jpg", "a.png.png", "b.png",
    ]  # fmt: skip
    names = (out / "class_names.txt").read_text().split()
    for id_, image in zip(ids, OBJECTS, strict=True):
        objects = read_indexed_png(out / "SegmentationObject" / f"{id_}.png")
        semantic = read_indexed_png(out / "SegmentationClass" / f"{id_}.png")
        assert np.array_equal(objects == 1, _mask(image))
        assert {names[v] for v in np.unique(semantic[objects == 1])} == {OBJECTS[image][0]}


@pytest.mark.parametrize("fmt", ["labelme", "yolo", "voc", "coco"])
def test_a_full_name_equal_to_another_stem_does_not_collide(tmp_path: Path, fmt: str):
    objects = {
        "a.jpg": ("cat", (20, 20)),
        "a.png": ("dog", (60, 40)),
        "a.jpg.png": ("bird", (40, 30)),
        "A.tif": ("cat", (30, 45)),
    }
    folder = _folder(tmp_path, objects)
    out = tmp_path / fmt
    report = export_folder(folder, fmt, out)
    assert report.images == 4 and report.objects == 4
    files = [p for p in out.rglob("*") if p.is_file()]
    # one image copy per image and, except for COCO's single JSON, one label file per image
    per_image = {"labelme": 2, "yolo": 2, "voc": 3, "coco": 1}[fmt]
    shared = {"labelme": 0, "yolo": 1, "voc": 3, "coco": 1}[fmt]
    assert len(files) == 4 * per_image + shared, sorted(str(p.relative_to(out)) for p in files)
