"""Hostile LabelMe files: a `shapes` entry that is not a shape object (a string, a number,
null, a list) or whose fields have the wrong types (points that are not [x, y] number pairs,
a label or group id that is not a name) is one line naming the file and the shape index;
nothing is written."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from samic_core.annotation import AnnotationStore
from samic_core.cli.main import main

SIZE = 64
GOOD = {"label": "box", "points": [[10, 10], [40, 10], [40, 40], [10, 40]], "shape_type": "polygon"}


def _shape(**changes) -> dict:
    shape = dict(GOOD)
    shape.update(changes)
    return {k: v for k, v in shape.items() if v is not _DROP}


_DROP = object()

# case -> (the second shape of the file (index 1), text the error line must hold)
HOSTILE_SHAPES = {
    "a string": ("oops", "shape 1"),
    "a number": (5, "shape 1"),
    "null": (None, "shape 1"),
    "a list": ([[1, 2], [3, 4]], "shape 1"),
    "points of three numbers": (_shape(points=[[1, 2, 3], [4, 5, 6]]), "shape 1"),
    "flat points": (_shape(points=[10, 10, 40, 10, 40, 40]), "shape 1"),
    "a point that is text": (_shape(points=[[10, 10], ["40", 10], [40, 40]]), "shape 1"),
    "a point that is true": (_shape(points=[[10, 10], [True, 10], [40, 40]]), "shape 1"),
    "a point that is null": (_shape(points=[[10, 10], None, [40, 40]]), "shape 1"),
    "a point that is a 400-digit integer": (
        _shape(points=[[10, 10], [10**400, 10], [40, 40]]), "shape 1",
    ),
    "points null": (_shape(points=None), "shape 1"),
    "points missing": (_shape(points=_DROP), "shape 1"),
    "points an object": (_shape(points={"x": 1}), "shape 1"),
    "points text": (_shape(points="10,10 40,10 40,40"), "shape 1"),
    "label a number": (_shape(label=3), "shape 1"),
    "label a list": (_shape(label=["box"]), "shape 1"),
    "shape_type a list": (_shape(shape_type=["polygon"]), "shape 1"),
    "shape_type a number": (_shape(shape_type=1), "shape 1"),
    "group_id a list": (_shape(group_id=[1]), "shape 1"),
    "group_id an object": (_shape(group_id={"a": 1}), "shape 1"),
    "group_id true": (_shape(group_id=True), "shape 1"),
    "mask shape whose mask is a number": (
        _shape(shape_type="mask", points=[[0, 0], [9, 9]], mask=7), "shape 1",
    ),
    "mask shape whose mask is not base64": (
        _shape(shape_type="mask", points=[[0, 0], [9, 9]], mask="@@not base64@@"), "shape 1",
    ),
}  # fmt: skip

HOSTILE_TOP = {
    "imagePath a list": ({"imagePath": ["a.png"]}, "imagePath"),
    "imagePath a number": ({"imagePath": 7}, "imagePath"),
    "imagePath an object": ({"imagePath": {"a": 1}}, "imagePath"),
}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    f = tmp_path / "images"
    f.mkdir()
    cv2.imwrite(str(f / "a.png"), np.full((SIZE, SIZE, 3), 90, np.uint8))
    return f


def _write(tmp_path: Path, shapes: list, **top) -> Path:
    src = tmp_path / "lm"
    src.mkdir(exist_ok=True)
    data = {"imagePath": "a.png", "imageHeight": SIZE, "imageWidth": SIZE, "shapes": shapes}
    data.update(top)
    (src / "a.json").write_text(json.dumps(data))
    return src / "a.json"


def _import(capsys, src: Path, folder: Path) -> tuple[int, list[str]]:
    code = main(["import", str(src), "--format", "labelme", "--into", str(folder)])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, [ln for ln in err.splitlines() if ln.startswith("samic ")]  # not the progress


@pytest.mark.parametrize("case", list(HOSTILE_SHAPES))
def test_a_bad_shape_entry_names_the_file_and_the_shape(folder, tmp_path, capsys, case):
    shape, expected = HOSTILE_SHAPES[case]
    src = _write(tmp_path, [GOOD, shape])
    code, lines = _import(capsys, src, folder)
    assert code == 2 and len(lines) == 1, lines
    assert str(src) in lines[0] and expected in lines[0], lines
    assert len(lines[0]) < 400
    assert not AnnotationStore(folder).exists("a.png")


@pytest.mark.parametrize("case", list(HOSTILE_TOP))
def test_a_bad_image_path_names_the_file_and_the_field(folder, tmp_path, capsys, case):
    top, expected = HOSTILE_TOP[case]
    src = _write(tmp_path, [GOOD], **top)
    code, lines = _import(capsys, src, folder)
    assert code == 2 and len(lines) == 1, lines
    assert str(src) in lines[0] and expected in lines[0], lines
    assert not AnnotationStore(folder).exists("a.png")


def test_an_integer_too_long_to_read_names_the_file(folder, tmp_path, capsys):
    src = _write(tmp_path, [GOOD])
    src.write_text(src.read_text().replace('"imageHeight": 64', '"imageHeight": ' + "6" * 5000))
    code, lines = _import(capsys, src, folder)
    assert code == 2 and len(lines) == 1 and str(src) in lines[0], lines


def test_a_long_label_is_cut_short_in_the_error(folder, tmp_path, capsys):
    src = _write(tmp_path, [_shape(label="x" * 100_000, points=[[1, 1], [2, 2]])])
    code, lines = _import(capsys, src, folder)
    assert code == 2 and len(lines) == 1 and "shape 0" in lines[0] and len(lines[0]) < 700


def test_well_formed_shapes_with_group_ids_still_import(folder, tmp_path, capsys):
    shapes = [
        _shape(group_id=1),
        _shape(group_id=1, points=[[50, 50], [60, 50], [60, 60]]),  # same object
        _shape(label="dot", shape_type="circle", points=[[20, 50], [24, 50]], group_id=None),
        _shape(label="line", shape_type="line", points=[[1, 1], [5, 5]]),  # no area: skipped
    ]
    src = _write(tmp_path, shapes)
    code, _ = _import(capsys, src, folder)
    assert code == 0
    loaded = AnnotationStore(folder).load("a.png")
    assert [o.label for o in loaded.annotation.objects] == ["box", "dot"]
    box = loaded.instances == loaded.annotation.objects[0].id
    assert box[20, 20] and box[55, 57]
