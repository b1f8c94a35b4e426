"""Counts in the CLI's export summary agree with their noun: '1 image has no annotation', never
'1 images have no annotation' (the app's dialogs: tests/gui/test_gui_transfer_counts.py)."""

from __future__ import annotations

import re
from pathlib import Path

from export_helpers import Annotated

from samic_core.cli.main import main
from samic_core.text import counted

ONE_PLURAL = re.compile(r"\b1 (images|objects|classes|epochs|references)\b")


def test_counted_says_one_in_the_singular() -> None:
    assert counted(1, "image") == "1 image"
    assert counted(0, "image") == "0 images"
    assert counted(2, "class", "classes") == "2 classes"
    assert counted(1, "class", "classes") == "1 class"


def test_cli_export_says_one_image(annotated: Annotated, tmp_path: Path, capsys) -> None:
    """The fixture has one image without annotation (e.g.png) and one skipped (d.png)."""
    out = tmp_path / "coco"
    assert main(["export", str(annotated.folder), "--format", "coco", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "1 image has no annotation" in printed
    assert "1 image skipped: only unreviewed predictions" in printed
    assert not ONE_PLURAL.search(printed), printed
