"""COCO export checked with pycocotools against the project's masks; COCO import round trip."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from export_helpers import CLASSES, Annotated, build_annotated_folder
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

from samic_core.annotation import AnnotationStore
from samic_core.errors import FileProblem
from samic_core.export import export_folder, import_folder
from samic_core.export.coco import COCO_FILENAME, encode_rle
from samic_core.export.geometry import iou

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


def _match(expected: dict[int, np.ndarray], got: np.ndarray) -> tuple[int, float]:
    """The expected object best matching `got`, and the IoU."""
    best = max(expected, key=lambda k: iou(expected[k], got))
    return best, iou(expected[best], got)


@pytest.mark.parametrize("include_unreviewed", [False, True])
def test_coco_export_decodes_to_the_project_masks(
    annotated: Annotated, tmp_path: Path, include_unreviewed: bool
) -> None:
    out = tmp_path / "coco"
    report = export_folder(annotated.folder, "coco", out, include_unreviewed=include_unreviewed)
    coco = COCO(str(out / COCO_FILENAME))
    assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == CLASSES
    names = {im["file_name"] for im in coco.dataset["images"]}
    # d.png holds only an unreviewed prediction; e.png has no annotation
    assert names == (
        {"a.png", "b.png", "c.png", "d.png"} if include_unreviewed else {"a.png", "b.png", "c.png"}
    )
    assert all((out / "images" / n).is_file() for n in names)
    ious_poly, n_rle = [], 0
    total = 0
    for im in coco.dataset["images"]:
        expected = annotated.object_masks(im["file_name"], include_unreviewed)
        anns = coco.loadAnns(coco.getAnnIds(imgIds=[im["id"]]))
        assert len(anns) == len(expected)
        seen = set()
        loaded = annotated.store.load(im["file_name"])
        labels = {o.id: o.label for o in loaded.annotation.objects}
        for ann in anns:
            got = coco.annToMask(ann).astype(bool)
            assert got.shape == (im["height"], im["width"])
            obj_id, score = _match(expected, got)
            seen.add(obj_id)
            if isinstance(ann["segmentation"], dict):
                n_rle += 1
                assert np.array_equal(got, expected[obj_id])  # RLE is exact
            else:
                assert score > 0.99
                ious_poly.append(score)
            assert coco.loadCats(ann["category_id"])[0]["name"] == labels[obj_id]
            assert ann["iscrowd"] == 0
            assert ann["area"] == float(expected[obj_id].sum())
            rle = mask_utils.encode(np.asfortranarray(expected[obj_id].astype(np.uint8)))
            assert ann["bbox"] == mask_utils.toBbox(rle).tolist()
            total += 1
        assert seen == set(expected)
    # the ring (hole) and the island-in-hole object need RLE; the rest are polygons
    assert n_rle == report.rle_objects == 2
    assert len(ious_poly) == total - 2 and min(ious_poly) > 0.99
    print(f"COCO polygon IoU: min {min(ious_poly):.4f} over {len(ious_poly)} objects")
    assert report.excluded_unreviewed == (0 if include_unreviewed else 2)
    assert report.images == len(names) and report.objects == total
    assert report.unannotated_images == 1


def _image_copy(annotated: Annotated, dest: Path) -> Path:
    dest.mkdir()
    for p in annotated.store.images():
        shutil.copy2(p, dest / p.name)
    return dest


def test_coco_round_trip_imports_manual_objects_with_masks(
    annotated: Annotated, tmp_path: Path
) -> None:
    export_folder(annotated.folder, "coco", tmp_path / "coco")
    fresh = _image_copy(annotated, tmp_path / "fresh")
    report = import_folder(tmp_path / "coco" / COCO_FILENAME, "coco", fresh)
    assert report.images == 3 and report.skipped_existing == [] and not report.warnings
    store = AnnotationStore(fresh)
    assert store.load_classes() == CLASSES
    for name in ("a.png", "b.png", "c.png"):
        loaded = store.load(name)
        expected = annotated.object_masks(name)
        assert len(loaded.annotation.objects) == len(expected)
        src_labels = {o.id: o.label for o in annotated.store.load(name).annotation.objects}
        for obj in loaded.annotation.objects:
            assert obj.source == "manual" and obj.reviewed and obj.points == [] and obj.box is None
            mask = loaded.instances == obj.id
            src_id, score = _match(expected, mask)
            assert score == 1.0 and src_labels[src_id] == obj.label
    assert not store.exists("d.png") and not store.exists("e.png")


def test_coco_import_never_overwrites_without_the_flag(
    annotated: Annotated, tmp_path: Path
) -> None:
    export_folder(annotated.folder, "coco", tmp_path / "coco")
    src = tmp_path / "coco" / COCO_FILENAME
    data = json.loads(src.read_text())
    data["annotations"] = [a for a in data["annotations"] if a["image_id"] == 1][:1]
    data["images"] = [im for im in data["images"] if im["id"] == 1]
    src.write_text(json.dumps(data))
    before = annotated.store.json_path("a.png").read_bytes()
    report = import_folder(src, "coco", annotated.folder)
    assert report.skipped_existing == ["a.png"] and report.images == 0
    assert annotated.store.json_path("a.png").read_bytes() == before
    report = import_folder(src, "coco", annotated.folder, overwrite=True)
    assert report.images == 1 and report.objects == 1
    assert len(annotated.store.load("a.png").annotation.objects) == 1


def test_coco_import_of_foreign_file_with_uncompressed_rle_crowd_and_overlaps(
    tmp_path: Path,
) -> None:
    annotated = build_annotated_folder(tmp_path / "src")
    folder = _image_copy(annotated, tmp_path / "dst")
    h, w = 120, 160
    big = np.zeros((h, w), bool)
    big[10:90, 10:120] = True
    small = np.zeros((h, w), bool)
    small[30:50, 30:60] = True  # inside `big`; listed first, still visible afterwards
    counts = mask_utils.frPyObjects({"size": [h, w], "counts": _uncompressed_counts(big)}, h, w)
    assert np.array_equal(mask_utils.decode(counts).astype(bool), big)
    data = {
        "images": [{"id": 7, "file_name": "some/dir/a.png", "width": w, "height": h}],
        "categories": [{"id": 5, "name": "zebra"}, {"id": 2, "name": "ant"}],
        "annotations": [
            {
                "id": 1,
                "image_id": 7,
                "category_id": 5,
                "segmentation": encode_rle(small),
                "iscrowd": 0,
            },
            {
                "id": 2,
                "image_id": 7,
                "category_id": 2,
                "iscrowd": 0,
                "segmentation": {"size": [h, w], "counts": _uncompressed_counts(big)},
            },
            {
                "id": 3,
                "image_id": 7,
                "category_id": 2,
                "iscrowd": 1,
                "segmentation": encode_rle(big),
            },
        ],
    }
    src = tmp_path / "foreign.json"
    src.write_text(json.dumps(data))
    report = import_folder(src, "coco", folder)
    assert report.images == 1 and report.objects == 2
    assert any("crowd" in w for w in report.warnings)
    store = AnnotationStore(folder)
    assert store.load_classes() == ["ant", "zebra"]  # category id order
    loaded = store.load("a.png")
    by_label = {o.label: loaded.instances == o.id for o in loaded.annotation.objects}
    assert np.array_equal(by_label["zebra"], small)
    assert np.array_equal(by_label["ant"], big & ~small)


def _uncompressed_counts(mask: np.ndarray) -> list[int]:
    flat = mask.ravel(order="F").astype(np.int8)
    change = np.flatnonzero(np.diff(np.concatenate([[0], flat, [1 - flat[-1]]])))
    return np.diff(np.concatenate([[0], change])).tolist()[: len(change)]


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda d: d["images"][0].update(file_name="missing.png"), "missing.png"),
        (lambda d: d["images"][2].update(width=999), "c.png is 999x80"),
        (lambda d: d["annotations"][0].update(category_id=99), "category_id 99"),
        (lambda d: d["annotations"][0].update(segmentation=[[1, 2, 3, 4]]), "3 points"),
    ],
)
def test_coco_import_bad_input_names_the_file_and_writes_nothing(
    annotated: Annotated, tmp_path: Path, edit, problem: str
) -> None:
    export_folder(annotated.folder, "coco", tmp_path / "coco")
    src = tmp_path / "coco" / COCO_FILENAME
    data = json.loads(src.read_text())
    edit(data)
    src.write_text(json.dumps(data))
    fresh = _image_copy(annotated, tmp_path / "fresh")
    with pytest.raises(FileProblem) as err:
        import_folder(src, "coco", fresh)
    assert str(src) in str(err.value) and problem in str(err.value)
    assert not (fresh / "annotations").exists()
