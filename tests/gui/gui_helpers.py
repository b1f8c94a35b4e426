"""Helpers for the GUI tests: build the window, click in image pixels, press shortcuts."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QKeySequence

from sambox.app import build_window
from sambox.settings import AppSettings
from sambox.widgets.main_window import MainWindow

WAIT_MS = 60_000  # only a failing run waits this long; 2 busy cores can be slow


def make_window(qtbot, settings: AppSettings) -> MainWindow:
    window = build_window(settings)
    qtbot.addWidget(window)
    window.resize(1100, 750)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)  # shortcuts go to the active window
    return window


def start_engine(qtbot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.service.engine_ready, timeout=WAIT_MS):
        window.session.start_engine()


def open_folder(qtbot, window: MainWindow, folder: Path) -> None:
    """Open `folder` and wait until the first image's embedding is ready."""
    window.session.open_folder(folder)
    first = window.project.images[0]
    qtbot.waitUntil(lambda: window.service.is_embedded(first), timeout=WAIT_MS)


def view_pos(window: MainWindow, x: float, y: float) -> QPoint:
    return window.canvas.mapFromScene(QPointF(x, y))


def click(
    qtbot,
    window: MainWindow,
    x: float,
    y: float,
    button: Qt.MouseButton = Qt.MouseButton.LeftButton,
    modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
):
    """Click at image pixel (x, y) and return the DecodeResult that updated the overlay."""
    with qtbot.waitSignal(window.editor.decoded, timeout=WAIT_MS) as blocker:
        qtbot.mouseClick(window.canvas.viewport(), button, modifier, view_pos(window, x, y))
    return blocker.args[0]


def key(qtbot, window: MainWindow, sequence: str) -> None:
    """Trigger the window-wide shortcut `sequence` (e.g. 'Ctrl+Z') as a user would."""
    combo = QKeySequence(sequence)[0]
    if not window.isActiveWindow():  # e.g. an error box was just closed
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, combo.key(), combo.keyboardModifiers())


def points_of(obj) -> list[tuple[int, int, bool]]:
    """An object's points rounded to whole pixels (a click lands on a screen pixel)."""
    return [(round(x), round(y), p) for x, y, p in obj.points]


def shown_errors(window: MainWindow) -> list[str]:
    """The texts of the error boxes on screen, oldest first (what the user reads)."""
    from PySide6.QtWidgets import QMessageBox

    boxes = window.findChildren(QMessageBox)
    return [b.text() for b in boxes if b.isVisible() and b.icon() == QMessageBox.Icon.Warning]


def dismiss_errors(window: MainWindow) -> int:
    """Close the error boxes on screen (as the user would press OK); returns how many."""
    from PySide6.QtWidgets import QMessageBox

    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    for b in boxes:
        b.accept()
    return len(boxes)


def visible_names(image_list) -> list[str]:
    """The image names the list shows (its filters hide the others), top to bottom."""
    tree = image_list.tree
    items = (tree.topLevelItem(i) for i in range(tree.topLevelItemCount()))
    return [item.text(0) for item in items if not item.isHidden()]
