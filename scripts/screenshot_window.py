"""The offscreen main window both screenshot scripts render (screenshots.py, screenshots_samic.py).

Its own module so that the two scripts import it, not each other.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtWidgets import QApplication


def spin(app: QApplication, cond, timeout: float = 30.0) -> None:
    t0 = time.monotonic()
    while not cond() and time.monotonic() - t0 < timeout:
        app.processEvents()
        time.sleep(0.01)


def open_window(app: QApplication, settings_file: Path, checkpoint: Path, folder: Path):
    """The real main window at 1440 x 900 with the tiny SAM loaded and `folder` embedded."""
    from sambox.app import build_window
    from sambox.settings import AppSettings

    settings = AppSettings.from_file(settings_file)
    settings.checkpoint = checkpoint
    settings.device = "cpu"
    win = build_window(settings)
    win.resize(1440, 900)
    win.show()
    win.session.start_engine()
    spin(app, lambda: win.service.ready, timeout=300)
    win.session.open_folder(folder)
    spin(app, lambda: not win.service.folder_busy, timeout=300)
    return win
