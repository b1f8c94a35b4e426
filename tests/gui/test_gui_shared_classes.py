"""The app's class edits merge with classes other writers added meanwhile (no write-back)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sambox.controllers.project import ProjectController
from samic_core.annotation import AnnotatedObject, AnnotationStore, ImageAnnotation


def _cli_saves(folder: Path, name: str, label: str) -> None:
    """What `samic import` / `samic predict` do in another process: save with a new class."""
    store = AnnotationStore(folder)
    inst = np.zeros((240, 320), np.uint16)
    inst[:10, :10] = 1
    ann = ImageAnnotation(
        image=name,
        image_sha256=store.image_sha256(folder / name),
        width=320,
        height=240,
        objects=[AnnotatedObject(id=1, label=label, source="predicted", reviewed=False)],
    )
    store.save(ann, inst)


def test_add_rename_remove_keep_classes_added_by_the_cli(image_folder: Path):
    project = ProjectController()
    assert project.open_folder(image_folder)
    assert project.classes == ["object"]  # placeholder until something is saved
    _cli_saves(image_folder, "b.png", "bird")  # after the app read classes.json
    assert project.add_class("cat")
    assert AnnotationStore(image_folder).load_classes() == ["bird", "object", "cat"]
    assert project.classes == ["bird", "object", "cat"]  # the app now shows the CLI's class
    _cli_saves(image_folder, "c.png", "dog")
    assert project.rename_class("cat", "kitty")
    assert project.classes == ["bird", "object", "kitty", "dog"]
    _cli_saves(image_folder, "a.png", "eel")
    assert project.remove_class("object")
    assert project.classes == ["bird", "kitty", "dog", "eel"]
    store = AnnotationStore(image_folder)
    assert store.load_classes() == project.classes
    for name in ("a.png", "b.png", "c.png"):
        assert store.load(name).annotation.objects  # every annotation still loads
    assert not project.remove_class("dog")  # c.png uses it: refused, nothing lost
    assert "c.png" in project.class_in_use("dog")


def test_hostile_annotation_files_do_not_stop_the_app_opening(image_folder: Path):
    from sambox.model.status import ImageStatus

    ann_dir = image_folder / "annotations"
    ann_dir.mkdir()
    (ann_dir / "a.png.json").write_text("[" * 100_000 + "]" * 100_000)  # RecursionError
    (ann_dir / "b.json").write_text("{" * 50_000)  # layout-1 name, unparseable
    _cli_saves(image_folder, "c.png", "bird")
    path = AnnotationStore(image_folder).json_path("c.png")
    nan_object = '{"id": 2, "label": "x", "points": [{"x": NaN, "y": 1}]}, '
    path.write_text(path.read_text().replace('"objects": [', '"objects": [' + nan_object, 1))
    project = ProjectController()
    errors: list[str] = []
    project.error.connect(errors.append)
    assert project.open_folder(image_folder)
    assert {n: project.statuses[n] for n in ("a.png", "b.png", "c.png")} == dict.fromkeys(
        ("a.png", "b.png", "c.png"), ImageStatus.ERROR
    )
    doc, _ = project.load("c.png")
    assert doc.locked and "finite number" in errors[-1] and str(path) in errors[-1]
