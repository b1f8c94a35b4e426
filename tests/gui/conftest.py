"""GUI fixtures: an isolated settings file, the real SamEngine on the tiny random checkpoint,
and helpers that click on the canvas in image pixels and wait for the worker's answer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gui_helpers import make_window, open_folder, start_engine

from sambox.settings import AppSettings
from sambox.widgets.main_window import MainWindow


@pytest.fixture
def settings(tmp_path: Path, tiny_sam_checkpoint: Path) -> AppSettings:
    """Settings in a per-test ini file (never the user's), pointing at the tiny SAM."""
    s = AppSettings.from_file(tmp_path / "sambox.ini")
    s.checkpoint = tiny_sam_checkpoint
    s.device = "cpu"
    s.cache_dir = tmp_path / "embeddings"
    return s


@pytest.fixture
def window(qtbot, settings: AppSettings, image_folder: Path) -> Iterator[MainWindow]:
    """The main window on `image_folder` (a.png open) with the tiny SAM loaded."""
    w = make_window(qtbot, settings)
    start_engine(qtbot, w)
    open_folder(qtbot, w, image_folder)
    yield w
    w.close()
