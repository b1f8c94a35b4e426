"""Esc never throws a hand edit away silently: in a drawing tool it only leaves the tool, and
clearing an object corrected by hand asks first (Ctrl+Z still brings it back)."""

from __future__ import annotations

import numpy as np
from gui_helpers import WAIT_MS, click, key, view_pos
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from sambox.widgets.mask_tools_ui import CLEAR, KEEP

LEFT, NONE = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier


def brushed_object(qtbot, window) -> np.ndarray:
    """A clicked object with a brush stroke on it (brush tool left on); its edited mask."""
    click(qtbot, window, 80, 120)
    key(qtbot, window, "B")
    window.canvas.tools.set_radius(8)
    vp = window.canvas.viewport()
    qtbot.mousePress(vp, LEFT, NONE, view_pos(window, 250, 200))
    qtbot.mouseMove(vp, view_pos(window, 300, 200))
    qtbot.mouseRelease(vp, LEFT, NONE, view_pos(window, 300, 200))
    assert window.editor.current.edited
    return window.editor.current.mask.copy()


def answer(button_text: str, seen: list[str]) -> None:
    """Press `button_text` on the next question box (it is modal, so arm this first)."""

    def press() -> None:
        box = next((b for b in QApplication.topLevelWidgets() if isinstance(b, QMessageBox)), None)
        if box is None or not box.isVisible():
            QTimer.singleShot(20, press)
            return
        seen.append(box.text())
        next(b for b in box.buttons() if b.text() == button_text).click()

    QTimer.singleShot(50, press)


def test_esc_in_a_drawing_tool_leaves_the_tool_and_keeps_the_object(qtbot, window):
    edited = brushed_object(qtbot, window)
    points = window.editor.current.points
    key(qtbot, window, "Esc")
    assert window.canvas.tool is None and not window.actions["brush_tool"].isChecked()
    obj = window.editor.current
    assert obj.edited and obj.points == points and np.array_equal(obj.mask, edited)
    key(qtbot, window, "W")  # the box tool too
    assert window.canvas.tool == "box"
    key(qtbot, window, "Esc")
    assert window.canvas.tool is None
    assert np.array_equal(window.editor.current.mask, edited)


def test_esc_asks_before_clearing_a_hand_edited_object(qtbot, window):
    edited = brushed_object(qtbot, window)
    key(qtbot, window, "Esc")  # leaves the brush
    seen: list[str] = []
    answer(KEEP, seen)
    key(qtbot, window, "Esc")
    qtbot.waitUntil(lambda: bool(seen), timeout=WAIT_MS)
    assert "corrected by hand" in seen[0]
    obj = window.editor.current
    assert obj.edited and obj.points and np.array_equal(obj.mask, edited)
    answer(CLEAR, seen)
    key(qtbot, window, "Esc")
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=WAIT_MS)
    obj = window.editor.current
    assert not obj.points and obj.mask is None
    key(qtbot, window, "Ctrl+Z")
    assert np.array_equal(window.editor.current.mask, edited)
