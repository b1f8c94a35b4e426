"""Annotation format: round trips and clear errors naming the file."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from samic_core.annotation import AnnotatedObject, AnnotationStore, ImageAnnotation, Point
from samic_core.annotation.masks import instances_from_masks
from samic_core.errors import AnnotationError
from samic_core.fileio import sha256_file


def _annotation(store: AnnotationStore, name: str = "a.png") -> tuple[ImageAnnotation, np.ndarray]:
    path = store.image_folder / name
    h, w = cv2.imread(str(path)).shape[:2]
    objs = [
        AnnotatedObject(
            id=1,
            label="plane",
            points=[Point(x=80, y=120), Point(x=10, y=10, positive=False)],
            score=0.97,
        ),
        AnnotatedObject(id=2, label="car", box=[250, 140, 200, 80], score=0.5, candidate=2),
    ]
    ann = ImageAnnotation(
        image=name,
        image_sha256=sha256_file(path),
        width=w,
        height=h,
        sam_model="tiny",
        objects=objs,
    )
    m1 = np.zeros((h, w), bool)
    m1[100:140, 60:100] = True
    m1[115:125, 75:85] = False  # a hole must survive
    m2 = np.zeros((h, w), bool)
    m2[80:140, 200:250] = True
    return ann, instances_from_masks([(1, m1), (2, m2)], (h, w))


def test_round_trip(image_folder: Path):
    store = AnnotationStore(image_folder)
    ann, inst = _annotation(store)
    saved = store.save(ann, inst).annotation
    assert json.loads(store.classes_path.read_text()) == ["plane", "car"]
    loaded = store.load("a.png")
    assert loaded.annotation == saved
    assert saved.model_dump(exclude={"masks", "schema_version"}) == ann.model_dump(
        exclude={"masks", "schema_version"}
    )
    assert saved.masks is not None and saved.masks.classes == ["plane", "car"]
    np.testing.assert_array_equal(loaded.instances, inst)
    assert loaded.instances.dtype == np.uint16
    assert loaded.annotation.objects[1].box == [200, 80, 250, 140]  # normalised to x0<x1
    sem = cv2.imread(str(store.semantic_path("a.png")), cv2.IMREAD_UNCHANGED)
    assert sem.dtype == np.uint8
    assert set(np.unique(sem)) == {0, 1, 2}
    assert sem[120, 80] == 0 and sem[105, 65] == 1 and sem[90, 220] == 2
    np.testing.assert_array_equal(loaded.semantic, sem)
    raw = cv2.imread(str(store.instances_path("a.png")), cv2.IMREAD_UNCHANGED)
    assert raw.dtype == np.uint16


def test_class_order_is_kept(image_folder: Path):
    store = AnnotationStore(image_folder)
    store.save_classes(["car", "tree", "plane"])
    ann, inst = _annotation(store)
    loaded = store.save(ann, inst)
    assert store.load_classes() == ["car", "tree", "plane"]
    assert loaded.semantic[105, 65] == 3 and loaded.semantic[90, 220] == 1


def test_no_temp_files_after_save(image_folder: Path):
    store = AnnotationStore(image_folder)
    store.save(*_annotation(store))
    names = sorted(p.name for p in store.dir.iterdir())
    assert names == sorted(
        [".lock", "a.png.json", store.semantic_path("a.png").name, "classes.json"]
        + [store.instances_path("a.png").name]
    )
    assert store.instances_path("a.png").name.startswith("a.png.")


def _saved(image_folder: Path) -> AnnotationStore:
    store = AnnotationStore(image_folder)
    store.save(*_annotation(store))
    return store


def test_malformed_json(image_folder: Path):
    store = _saved(image_folder)
    store.json_path("a.png").write_text("{not json")
    with pytest.raises(AnnotationError, match="malformed JSON") as e:
        store.load("a.png")
    assert "a.png.json" in str(e.value)


def test_unknown_schema_version(image_folder: Path):
    store = _saved(image_folder)
    data = json.loads(store.json_path("a.png").read_text())
    data["schema_version"] = 99
    store.json_path("a.png").write_text(json.dumps(data))
    with pytest.raises(AnnotationError, match="unknown schema_version 99"):
        store.load("a.png")


def test_image_hash_mismatch(image_folder: Path):
    store = _saved(image_folder)
    img = cv2.imread(str(image_folder / "a.png"))
    img[5, 5] = 0
    cv2.imwrite(str(image_folder / "a.png"), img)
    with pytest.raises(AnnotationError, match="image hash mismatch"):
        store.load("a.png")


def test_mask_size_mismatch(image_folder: Path):
    store = _saved(image_folder)
    cv2.imwrite(str(store.instances_path("a.png")), np.zeros((10, 10), np.uint16))
    with pytest.raises(AnnotationError, match="does not match the image size") as e:
        store.load("a.png")
    assert ".instances.png" in str(e.value)


def test_missing_mask(image_folder: Path):
    store = _saved(image_folder)
    store.instances_path("a.png").unlink()
    with pytest.raises(AnnotationError, match="mask file is missing"):
        store.load("a.png")


def test_invalid_fields_are_named(image_folder: Path):
    store = _saved(image_folder)
    data = json.loads(store.json_path("a.png").read_text())
    data["objects"][0]["source"] = "guessed"
    store.json_path("a.png").write_text(json.dumps(data))
    with pytest.raises(AnnotationError, match=r"objects\.0\.source"):
        store.load("a.png")


def test_duplicate_object_ids_rejected():
    with pytest.raises(ValueError, match="unique"):
        ImageAnnotation(
            image="x.png",
            image_sha256="0",
            width=2,
            height=2,
            objects=[AnnotatedObject(id=1, label="a"), AnnotatedObject(id=1, label="a")],
        )


def test_malformed_classes(image_folder: Path):
    store = _saved(image_folder)
    store.classes_path.write_text('{"a": 1}')
    with pytest.raises(AnnotationError, match="classes.json"):
        store.load_classes()


def test_empty_annotation_round_trip(image_folder: Path):
    store = AnnotationStore(image_folder)
    path = image_folder / "c.png"
    ann = ImageAnnotation(
        image="c.png", image_sha256=sha256_file(path), width=200, height=300, done=True
    )
    store.save(ann, np.zeros((300, 200), np.uint16))
    loaded = store.load("c.png")
    assert loaded.annotation.done and loaded.annotation.objects == []
    assert not loaded.semantic.any()


def test_json_schema_is_exported():
    schema = ImageAnnotation.model_json_schema()
    assert set(schema["required"]) >= {"image", "image_sha256", "width", "height"}
    assert "AnnotatedObject" in schema["$defs"]


def test_documented_schema_is_current():
    """docs/annotation.schema.json must be regenerated when the models change."""
    doc = Path(__file__).resolve().parents[2] / "docs" / "annotation.schema.json"
    assert json.loads(doc.read_text()) == ImageAnnotation.model_json_schema(), (
        'regenerate with: python -c "import json; from samic_core.annotation import '
        'ImageAnnotation; print(json.dumps(ImageAnnotation.model_json_schema(), indent=2))" '
        "> docs/annotation.schema.json"
    )
