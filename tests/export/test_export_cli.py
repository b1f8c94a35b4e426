"""`samic export` and `samic import` end to end through the CLI entry point."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from export_helpers import Annotated

from samic_core.annotation import AnnotationStore
from samic_core.cli.main import main


def test_cli_export_then_import(annotated: Annotated, tmp_path: Path, capsys) -> None:
    out = tmp_path / "lm"
    assert main(["export", str(annotated.folder), "--format", "labelme", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "3 images, 8 objects" in printed and "2 unreviewed predicted objects left out" in printed
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    for p in annotated.store.images():
        shutil.copy2(p, fresh / p.name)
    assert main(["import", str(out), "--format", "labelme", "--into", str(fresh)]) == 0
    assert AnnotationStore(fresh).exists("b.png")
    # again: everything is already annotated, nothing is overwritten and the CLI says so
    assert main(["import", str(out), "--format", "labelme", "--into", str(fresh)]) == 0
    assert "3 images already annotated" in capsys.readouterr().err


def test_cli_include_unreviewed(annotated: Annotated, tmp_path: Path) -> None:
    out = tmp_path / "coco"
    argv = ["export", str(annotated.folder), "--format", "coco", "--out", str(out)]
    assert main([*argv, "--include-unreviewed"]) == 0
    data = json.loads((out / "instances.json").read_text())
    assert len(data["annotations"]) == 10 and len(data["images"]) == 4


def test_cli_error_names_the_file(annotated: Annotated, tmp_path: Path, capsys) -> None:
    (annotated.folder / "a.png").unlink()
    out = tmp_path / "voc"
    assert main(["export", str(annotated.folder), "--format", "voc", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "samic export: error:" in err and str(annotated.folder / "a.png") in err
    assert not out.exists()


def test_cli_help_documents_the_arguments(capsys) -> None:
    for argv, words in (
        (["import", "--help"], ["--into", "SRC", "instances JSON", "--overwrite"]),
        (["export", "--help"], ["--include-unreviewed", "coco,voc,yolo,labelme", "--out"]),
    ):
        with pytest.raises(SystemExit):
            main(argv)
        text = capsys.readouterr().out
        assert all(w in text for w in words), text
