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


def test_image_names_stay_readable_with_predicted_images(qtbot):
    """After auto-annotate the long status "predicted, not reviewed" squeezed the name column
    of a normal-width images panel down to "photo_0…"; the list shows a short status (full
    text in the tooltip) and the names keep their width."""
    from PySide6.QtWidgets import QApplication

    from sambox.model.status import ImageStatus
    from sambox.widgets.image_list import ImageList

    panel = ImageList()
    qtbot.addWidget(panel)
    panel.resize(300, 400)
    names = {f"photo_{i:02d}.jpg": ImageStatus.PREDICTED for i in range(4)}
    names["photo_04.jpg"] = ImageStatus.NOT_STARTED
    panel.set_images(names)
    for n in names:
        panel.set_embedded(n)
    panel.show()
    qtbot.waitExposed(panel)
    QApplication.processEvents()
    tree = panel.tree
    needed = tree.fontMetrics().horizontalAdvance("photo_00.jpg")
    assert tree.columnWidth(0) >= needed
    item = tree.topLevelItem(0)
    assert "predicted, not reviewed" in item.toolTip(1)
    assert tree.horizontalScrollBar().maximum() == 0  # nothing hidden sideways


def test_image_list_says_in_progress_as_soon_as_an_object_exists(qtbot, window):
    """The list said "not started" beside an image with three objects until it was saved."""
    from sambox.model.status import ImageStatus

    name = window.editor.doc.name
    assert window.image_list.status(name) is ImageStatus.NOT_STARTED
    click(qtbot, window, 80, 120)
    assert window.image_list.status(name) is ImageStatus.IN_PROGRESS
    assert "1 in progress" in window.image_list.summary.text()
