"""Misuse of every subcommand: one line `samic CMD: error: ...` naming the file, exit != 0."""

from __future__ import annotations

import errno
from pathlib import Path

import cv2
import numpy as np
import pytest

from samic_core.cli.main import SUBCOMMANDS, build_parser, main


@pytest.fixture
def t(tmp_path: Path) -> Path:
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "empty").mkdir()
    (tmp_path / "garbage.pt").write_bytes(b"not a model")
    (tmp_path / "broken.json").write_text("{")
    (tmp_path / "ck.pth").write_bytes(b"not a checkpoint")
    (tmp_path / "frames").mkdir()  # a clip nobody annotated yet
    for i in range(2):
        cv2.imwrite(str(tmp_path / "frames" / f"{i:05d}.png"), np.zeros((8, 8, 3), np.uint8))
    return tmp_path


# (argv with {t} for the temporary folder, text the one error line must contain)
MISUSE = {
    "weights download into a file": (
        ["weights", "download", "vit_b", "--dest", "{t}/file.txt", "--url", "http://127.0.0.1:9/x"],
        "{t}/file.txt",
    ),
    "embed a missing folder": (["embed", "{t}/nope", "--checkpoint", "{t}/ck.pth"], "{t}/nope"),
    "embed a file": (["embed", "{t}/file.txt", "--checkpoint", "{t}/ck.pth"], "{t}/file.txt"),
    "segment a missing image": (
        ["segment", "{t}/nope.png", "--point", "1,1", "--out", "{t}/o.png"],
        "{t}/nope.png",
    ),
    "export a missing folder": (
        ["export", "{t}/nope", "--format", "coco", "--out", "{t}/o"],
        "{t}/nope: image folder does not exist",
    ),
    "import a missing file": (
        ["import", "{t}/nope.json", "--format", "coco", "--into", "{t}/empty"],
        "{t}/nope.json",
    ),
    "import broken JSON": (
        ["import", "{t}/broken.json", "--format", "coco", "--into", "{t}/empty"],
        "{t}/broken.json",
    ),
    "eval a missing dataset": (
        [
            "eval",
            "--dataset",
            "{t}/nope",
            "--format",
            "fss",
            "--method",
            "center",
            "--out",
            "{t}/ev",
        ],  # fmt: skip
        "{t}/nope",
    ),
    "synth into a file": (["synth", "{t}/file.txt", "--classes", "2"], "{t}/file.txt"),
    "to-sambox a missing dataset": (
        ["to-sambox", "--dataset", "{t}/nope", "--format", "fss", "--out", "{t}/ts"],
        "{t}/nope",
    ),
    "train a missing folder": (["train", "{t}/nope", "--out", "{t}/m.pt"], "{t}/nope"),
    "train a folder without annotations": (
        ["train", "{t}/empty", "--out", "{t}/m.pt"],
        "{t}/empty",
    ),
    "predict with a garbage model": (
        ["predict", "--model", "{t}/garbage.pt", "--refs", "{t}/empty", "--images", "{t}/empty"],
        "{t}/garbage.pt",
    ),
    "predict with --refs pointing at a file": (
        ["predict", "--model", "{t}/garbage.pt", "--refs", "{t}/file.txt", "--images", "{t}/empty"],
        "{t}/file.txt",
    ),
    "model-info of a garbage file": (["model-info", "--model", "{t}/garbage.pt"], "{t}/garbage.pt"),
    "track a missing clip": (["track", "{t}/nope.mp4"], "{t}/nope.mp4: not a folder of frames"),
    "track a folder without frames": (["track", "{t}/empty"], "{t}/empty: no frames"),
    "track a clip with no prompted frame": (
        ["track", "{t}/frames", "--checkpoint", "{t}/ck.pth"],
        "{t}/frames: no prompted frame",
    ),
}


def _error_lines(err: str) -> list[str]:
    """stderr without tqdm's progress bars and log warnings."""
    return [
        line
        for line in err.splitlines()
        if line.strip()
        and "it/s]" not in line
        and "img/s]" not in line
        and "|" not in line
        and not line.startswith("WARN")
    ]


def test_the_table_covers_every_subcommand():
    names = set(build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    covered = {argv[0] for argv, _ in MISUSE.values()}
    assert len(names) == len(SUBCOMMANDS) and names <= covered


@pytest.mark.parametrize("case", list(MISUSE))
def test_misuse_is_one_line_naming_the_file(t: Path, capsys: pytest.CaptureFixture, case: str):
    argv, expected = MISUSE[case]
    code = main([a.replace("{t}", str(t)) for a in argv])
    lines = _error_lines(capsys.readouterr().err)
    assert code != 0
    assert len(lines) == 1, lines
    command = " ".join(argv[:2]) if argv[0] == "weights" else argv[0]  # `weights download`
    assert lines[0].startswith(f"samic {command}: error: ")
    assert expected.replace("{t}", str(t)) in lines[0]
    assert "Traceback" not in lines[0]


def test_full_disk_during_export_is_one_line_and_leaves_nothing(
    t: Path, image_folder: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
):
    from samic_core.annotation import AnnotatedObject, AnnotationStore, ImageAnnotation
    from samic_core.export import common

    store = AnnotationStore(image_folder)
    inst = np.zeros((320, 240), np.uint16)
    inst[10:50, 10:50] = 1
    sha = store.image_sha256(image_folder / "a.png")
    obj = AnnotatedObject(id=1, label="x")
    ann = ImageAnnotation(image="a.png", image_sha256=sha, width=240, height=320, objects=[obj])
    store.save(ann, inst)

    def full(src, dest_dir):
        raise OSError(errno.ENOSPC, "No space left on device", str(dest_dir / src.name))

    monkeypatch.setattr(common, "copy_image", full)
    for module in ("coco", "labelme", "voc", "yolo"):
        monkeypatch.setattr(f"samic_core.export.{module}.copy_image", full, raising=False)
    code = main(["export", str(image_folder), "--format", "coco", "--out", str(t / "out")])
    lines = _error_lines(capsys.readouterr().err)
    assert code == 2 and len(lines) == 1 and "No space left on device" in lines[0]
    assert not (t / "out").exists()
    assert [p.name for p in t.iterdir() if "partial" in p.name] == []


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_train_refuses_a_non_finite_point_and_writes_no_model(
    t: Path, image_folder: Path, capsys: pytest.CaptureFixture, value: str
):
    from samic_core.annotation import AnnotatedObject, AnnotationStore, ImageAnnotation, Point

    store = AnnotationStore(image_folder)
    for name in ("a.png", "b.png"):
        inst = np.zeros((320, 240), np.uint16)
        inst[10:50, 10:50] = 1
        obj = AnnotatedObject(id=1, label="x", points=[Point(x=30, y=30)])
        sha = store.image_sha256(image_folder / name)
        store.save(ImageAnnotation(image=name, image_sha256=sha, width=240, height=320,
                                   objects=[obj]), inst)  # fmt: skip
    path = store.json_path("b.png")
    path.write_text(path.read_text().replace('"x": 30.0', f'"x": {value}', 1))
    code = main(["train", str(image_folder), "--out", str(t / "m.pt"), "--epochs", "1"])
    lines = _error_lines(capsys.readouterr().err)
    assert code == 2 and len(lines) == 1 and str(path) in lines[0] and "finite" in lines[0]
    assert not any(p.name.startswith(("m.", ".m.")) for p in t.iterdir())
