"""safepath: names from datasets and annotation files become paths only as plain names inside
their folder; import goes through the same check."""

from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from samic_core.annotation import layout
from samic_core.cli.main import main
from samic_core.errors import SamicError
from samic_core.safepath import UnsafeName, check_inside, check_name, child, is_plain_name

BAD_NAMES = {
    "empty": "",
    "dot": ".",
    "dot dot": "..",
    "absolute": "/etc/passwd",
    "parent path": "../../x",
    "inner separator": "a/b.jpg",
    "backslash": "..\\..\\x.jpg",
    "windows absolute": "C:\\x.jpg",
    "NUL": "a\x00.jpg",
    "too long": "a" * 256,
    "not text": 7,
}


@pytest.mark.parametrize("case", list(BAD_NAMES))
def test_a_bad_name_is_refused_naming_the_file_and_the_name(tmp_path, case):
    name = BAD_NAMES[case]
    assert not is_plain_name(name)
    with pytest.raises(UnsafeName) as err:
        child(tmp_path, name, tmp_path / "list.txt", "image")
    message = str(err.value)
    assert message.startswith(f"{tmp_path / 'list.txt'}: image {name!r}"), message
    assert "\n" not in message
    assert isinstance(err.value, SamicError)


@pytest.mark.parametrize("name", ["a.jpg", "a..b.jpg", "...", ".hidden", "näme ü.png", "12:30.jpg"])
def test_plain_names_pass(tmp_path, name):
    assert is_plain_name(name) and check_name(tmp_path, "x", name) == name
    assert child(tmp_path, name, tmp_path / "list.txt") == tmp_path / name


def test_a_drive_is_refused_where_the_system_has_drives(tmp_path, monkeypatch):
    from samic_core import safepath

    assert is_plain_name("C:x.jpg") == (os.name != "nt")  # a plain name on POSIX
    monkeypatch.setattr(safepath, "WINDOWS", True)
    with pytest.raises(UnsafeName, match="'C:x.jpg' names a drive"):
        check_name(tmp_path / "list.txt", "image", "C:x.jpg")


def test_layout_uses_the_same_rule():
    for name in [*(v for v in BAD_NAMES.values() if isinstance(v, str)), "a.jpg", "a:b.png"]:
        assert layout.is_safe_file_name(name) == is_plain_name(name), name


@pytest.mark.skipif(os.name != "posix", reason="symbolic links")
def test_a_link_out_of_the_folder_is_refused_unless_the_caller_allows_it(tmp_path):
    root = tmp_path / "data"
    root.mkdir()
    secret = tmp_path / "secret.jpg"
    secret.write_bytes(b"secret")
    (root / "a.jpg").symlink_to(secret)
    (root / "inside.jpg").write_bytes(b"x")
    (root / "b.jpg").symlink_to(root / "inside.jpg")
    with pytest.raises(UnsafeName, match=r"list\.txt: image 'a\.jpg' leads outside"):
        child(root, "a.jpg", tmp_path / "list.txt", "image")
    assert child(root, "b.jpg", tmp_path / "list.txt") == root / "b.jpg"  # a link inside: fine
    assert child(root, "a.jpg", tmp_path / "list.txt", contained=False) == root / "a.jpg"
    linked_root = tmp_path / "linked"
    linked_root.symlink_to(root)  # the root itself may be a link
    assert child(linked_root, "inside.jpg", tmp_path / "l.txt") == linked_root / "inside.jpg"
    with pytest.raises(UnsafeName, match="leads outside"):
        check_inside(root, root / "sub" / ".." / ".." / "secret.jpg", tmp_path / "l.txt", "x")


# ---- import: the image names of a COCO or LabelMe source go through the same check ----------
@pytest.fixture
def folder(tmp_path: Path) -> Path:
    f = tmp_path / "images"
    f.mkdir()
    cv2.imwrite(str(f / "a.png"), np.full((64, 64, 3), 90, np.uint8))
    return f


def _import(capsys, src: Path, fmt: str, folder: Path) -> tuple[int, list[str]]:
    code = main(["import", str(src), "--format", fmt, "--into", str(folder)])
    return code, [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("samic ")]


@pytest.mark.parametrize("file_name", ["..", "sub/..", "."])
def test_import_refuses_an_image_name_that_is_no_file_name(folder, tmp_path, capsys, file_name):
    src = tmp_path / "coco.json"
    src.write_text(
        json.dumps(
            {
                "images": [{"id": 1, "file_name": file_name, "width": 64, "height": 64}],
                "annotations": [],
                "categories": [{"id": 1, "name": "box"}],
            }
        )
    )
    code, lines = _import(capsys, src, "coco", folder)
    assert code == 2 and len(lines) == 1 and str(src) in lines[0], lines
    assert "image name" in lines[0] and ("is not a file name" in lines[0] or "empty" in lines[0])
    assert not (folder / "annotations").exists()


def test_import_refuses_a_labelme_image_path_that_is_no_file_name(folder, tmp_path, capsys):
    src = tmp_path / "lm"
    src.mkdir()
    shape = {"label": "x", "points": [[1, 1], [9, 1], [9, 9]]}
    data = {"imagePath": "..", "imageHeight": 64, "imageWidth": 64, "shapes": [shape]}
    (src / "a.json").write_text(json.dumps(data))
    code, lines = _import(capsys, src, "labelme", folder)
    assert code == 2 and len(lines) == 1 and "image name '..' is not a file name" in lines[0]
    assert not (folder / "annotations").exists()
