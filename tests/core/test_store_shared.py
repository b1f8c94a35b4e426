"""Shared state and names: concurrent writers merge classes, every image has its own files."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import cv2
import numpy as np
import pytest

from samic_core.annotation import (
    AnnotatedObject,
    AnnotationStore,
    ClassInUseError,
    ImageAnnotation,
)
from samic_core.errors import AnnotationError

SIZE = 8


def _save(store: AnnotationStore, name: str, labels: list[str]) -> None:
    inst = np.zeros((SIZE, SIZE), np.uint16)
    for k in range(len(labels)):
        inst[k, :] = k + 1
    objects = [AnnotatedObject(id=k + 1, label=lab) for k, lab in enumerate(labels)]
    ann = ImageAnnotation(image=name, image_sha256="0", width=SIZE, height=SIZE, objects=objects)
    store.save(ann, inst)


def _writer(folder: str, who: int, n: int) -> None:
    store = AnnotationStore(folder)
    for i in range(n):
        _save(store, f"{who}_{i}.png", [f"class_{who}_{i}"])


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_two_processes_saving_new_classes_lose_none(tmp_path: Path):
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), who, 40)) for who in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    store = AnnotationStore(tmp_path)
    classes = store.load_classes()
    assert len(classes) == 80 and len(set(classes)) == 80
    files = store.annotation_files()
    assert len(files) == 80
    for path in files:
        ann = store.load_json_file(path)
        loaded = store.load(ann.image, verify_image=False)
        label = loaded.annotation.objects[0].label
        assert loaded.semantic[0, 0] == classes.index(label) + 1


def test_an_annotation_stays_readable_when_classes_json_lost_its_class(tmp_path: Path):
    store = AnnotationStore(tmp_path)
    _save(store, "a.png", ["cat", "dog"])
    store.classes_path.write_text(json.dumps(["cat"]))  # an old SAMIC wrote back a stale copy
    loaded = store.load("a.png", verify_image=False)
    assert loaded.semantic[1, 0] == 2  # "dog" comes after the listed classes
    assert store.load_json("a.png").masks.classes == ["cat", "dog"]  # what the PNG's values mean


def test_rename_and_remove_merge_with_what_is_on_disk(tmp_path: Path):
    app, cli = AnnotationStore(tmp_path), AnnotationStore(tmp_path)
    _save(app, "a.png", ["cat"])
    cli.ensure_classes(["dog"])  # samic import adds a class meanwhile
    assert app.rename_class("cat", "kitty") == ["kitty", "dog"]
    assert app.load_json("a.png").objects[0].label == "kitty"
    assert app.load_json("a.png").masks.classes == ["kitty"]
    _save(cli, "b.png", ["bird"])
    assert app.add_classes(["fish"]) == ["kitty", "dog", "bird", "fish"]
    with pytest.raises(ClassInUseError, match="a.png"):
        app.remove_class("kitty")
    assert app.remove_class("dog") == ["kitty", "bird", "fish"]
    loaded = app.load("b.png", verify_image=False)
    assert loaded.semantic[0, 0] == 2  # bird moved from 3 to 2
    sem = cv2.imread(str(app.semantic_path("b.png")), cv2.IMREAD_UNCHANGED)
    assert sem[0, 0] == 2  # and the semantic PNG was rewritten to match classes.json
    with pytest.raises(ValueError, match="exists already"):
        app.rename_class("kitty", "bird")


# ---- names ---------------------------------------------------------------------------------
COLLIDING = [
    ("a.jpg", "a.png"),
    ("x.png", "x_instances.png"),
    ("classes.png", "class_colors.png", "models.png"),
    ("a.png", "a.png.json.png"),
]


@pytest.mark.parametrize("names", COLLIDING, ids=lambda n: " vs ".join(n))
def test_every_image_gets_its_own_files(tmp_path: Path, names: tuple[str, ...]):
    store = AnnotationStore(tmp_path)
    (store.dir / "models").mkdir(parents=True)
    (store.dir / "class_colors.json").write_text('{"cat": "#ff0000"}')
    for i, name in enumerate(names):
        _save(store, name, [f"class{i}"] * (i + 1))
    for i, name in enumerate(names):
        loaded = store.load(name, verify_image=False)
        assert [o.label for o in loaded.annotation.objects] == [f"class{i}"] * (i + 1)
        assert int(loaded.instances.max()) == i + 1
    assert json.loads((store.dir / "class_colors.json").read_text()) == {"cat": "#ff0000"}
    assert (store.dir / "models").is_dir()
    assert store.load_classes() == [f"class{i}" for i in range(len(names))]
    assert sorted(store.load_json_file(p).image for p in store.annotation_files()) == sorted(names)
    store.delete(names[0])
    assert not store.exists(names[0])
    for name in names[1:]:
        assert store.exists(name) and store.load(name, verify_image=False).instances.any()


def test_a_non_image_name_is_refused(tmp_path: Path):
    with pytest.raises(ValueError, match="not an image file name"):
        _save(AnnotationStore(tmp_path), "classes", ["x"])


def _layout_1(store: AnnotationStore, image: str, stem_files: str, label: str) -> None:
    store.dir.mkdir(parents=True, exist_ok=True)
    ann = {"schema_version": 1, "image": image, "image_sha256": "0", "width": SIZE,
           "height": SIZE, "objects": [{"id": 1, "label": label}]}  # fmt: skip
    (store.dir / f"{stem_files}.json").write_text(json.dumps(ann))
    inst = np.zeros((SIZE, SIZE), np.uint16)
    inst[2:5, 2:5] = 1
    cv2.imwrite(str(store.dir / f"{stem_files}_instances.png"), inst)
    cv2.imwrite(str(store.dir / f"{stem_files}.png"), (inst > 0).astype(np.uint8))


def test_layout_1_folders_still_open_and_migrate_on_save(tmp_path: Path):
    store = AnnotationStore(tmp_path)
    _layout_1(store, "a.jpg", "a", "cat")  # a.jpg's annotation; a.png has none
    store.save_classes(["cat"])
    assert store.exists("a.jpg") and not store.exists("a.png")
    loaded = store.load("a.jpg", verify_image=False)
    assert loaded.annotation.schema_version == 1 and loaded.instances[3, 3] == 1
    _save(store, "a.png", ["dog"])  # must not touch a.jpg's layout-1 files
    assert (store.dir / "a.json").is_file() and store.load("a.jpg", verify_image=False)
    store.save(loaded.annotation, loaded.instances)  # re-saving a.jpg migrates it
    assert not (store.dir / "a.json").exists() and not (store.dir / "a_instances.png").exists()
    again = store.load("a.jpg", verify_image=False)
    assert again.annotation.schema_version == 2 and again.instances[3, 3] == 1
    assert store.load("a.png", verify_image=False).annotation.objects[0].label == "dog"


def test_damaged_layout_1_file_is_reported_and_never_deleted(tmp_path: Path):
    store = AnnotationStore(tmp_path)
    store.dir.mkdir()
    (store.dir / "a.json").write_text("{not json")
    with pytest.raises(AnnotationError, match="a.json"):
        store.load("a.png")
    _save(store, "a.jpg", ["cat"])  # a.jpg might own it, or a.png: neither save removes it
    assert (store.dir / "a.json").read_text() == "{not json"
