"""A screen that stays still: the canvas does not move or resize when the confidence hint and
the candidate buttons appear, the window does not widen, long hints are elided with a tooltip;
one row stays selected in the image list after Ctrl+Return."""

from __future__ import annotations

from gui_helpers import WAIT_MS, click, key


def test_canvas_stays_put_when_hint_and_candidates_appear(qtbot, window):
    window.resize(1500, 800)  # room for a hint beside the candidate buttons
    qtbot.wait(50)
    canvas_before = window.canvas.geometry()
    width_before = window.width()
    bar_height = window.confidence.height()
    click(qtbot, window, 80, 120)  # a single click: hint + 3 candidate buttons appear
    qtbot.wait(50)
    assert window.confidence.candidates[0].isVisible()
    assert window.canvas.geometry() == canvas_before
    assert window.width() == width_before and window.confidence.height() == bar_height
    # a very long hint is elided (full text in the tooltip), never widening the window
    long = "Low confidence: " + "try a box or a negative point " * 20
    window.confidence.hint.setText(long)
    qtbot.wait(50)
    assert window.width() == width_before and window.canvas.geometry() == canvas_before
    assert window.confidence.hint.toolTip() == long
    assert window.confidence.hint.text() != long and window.confidence.hint.text().endswith("…")
    key(qtbot, window, "N")  # candidates hide again: still no movement
    qtbot.wait(50)
    assert window.canvas.geometry() == canvas_before


def test_one_row_selected_after_ctrl_return(qtbot, window):
    click(qtbot, window, 80, 120)
    key(qtbot, window, "Ctrl+Return")
    qtbot.waitUntil(lambda: window.editor.doc.name == "b.png", timeout=WAIT_MS)
    tree = window.image_list.tree
    selected = [i.text(0) for i in tree.selectedItems()]
    assert selected == ["b.png"]
    assert tree.currentItem().text(0) == "b.png"
