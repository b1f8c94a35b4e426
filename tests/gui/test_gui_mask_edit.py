"""Correcting masks by hand: brush, eraser, polygon and cut polygon with real mouse gestures,
undo/redo, save + reload from the PNG, and the question before a re-decode drops an edit."""

from __future__ import annotations

import json

import numpy as np
from gui_helpers import WAIT_MS, click, key, view_pos
from PySide6.QtCore import QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from sambox.model.convert import from_loaded
from sambox.model.mask_edit import polygon_mask, stroke_mask
from sambox.widgets.mask_tools_ui import KEEP, REDECODE
from samic_core.export.api import export_folder

LEFT, NONE = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier


def drag(qtbot, window, points) -> None:
    """A left-button drag through image pixels `points` (brush / eraser stroke)."""
    vp = window.canvas.viewport()
    qtbot.mousePress(vp, LEFT, NONE, view_pos(window, *points[0]))
    for p in points[1:]:
        qtbot.mouseMove(vp, view_pos(window, *p))
    qtbot.mouseRelease(vp, LEFT, NONE, view_pos(window, *points[-1]))


def polygon(qtbot, window, vertices, close: str = "Return") -> None:
    vp = window.canvas.viewport()
    for v in vertices:
        qtbot.mouseClick(vp, LEFT, NONE, view_pos(window, *v))
    window.canvas.setFocus()
    if close == "Return":
        qtbot.keyClick(window.canvas, Qt.Key.Key_Return)
    elif close == "Escape":
        qtbot.keyClick(window.canvas, Qt.Key.Key_Escape)


def on_screen(window, x: float, y: float) -> tuple[int, int]:
    """The image pixel a click at (x, y) really lands on (a click snaps to a screen pixel)."""
    p = window.canvas.mapToScene(view_pos(window, x, y))
    return round(p.x()), round(p.y())


def test_brush_and_eraser_change_the_selected_mask_and_undo_redo(qtbot, window):
    click(qtbot, window, 80, 120)
    before = window.editor.current.mask.copy()
    key(qtbot, window, "B")
    assert window.canvas.tool == "brush"
    window.canvas.tools.set_radius(6)
    drag(qtbot, window, [(250, 200), (270, 200), (290, 200)])
    obj = window.editor.current
    a, b = on_screen(window, 250, 200), on_screen(window, 290, 200)
    painted = stroke_mask(before.shape, [a, b], 6)
    assert obj.edited and obj.points  # prompts kept
    assert np.array_equal(obj.mask, before | painted)
    assert not obj.needs_decode  # nothing re-decodes a hand edit
    key(qtbot, window, "E")
    assert window.canvas.tool == "eraser"
    drag(qtbot, window, [(250, 200), (290, 200)])
    assert np.array_equal(window.editor.current.mask, before & ~painted)
    key(qtbot, window, "Ctrl+Z")
    assert np.array_equal(window.editor.current.mask, before | painted)
    key(qtbot, window, "Ctrl+Z")
    assert np.array_equal(window.editor.current.mask, before)
    assert not window.editor.current.edited
    key(qtbot, window, "Ctrl+Shift+Z")
    assert np.array_equal(window.editor.current.mask, before | painted)


def test_brush_size_keys_and_ctrl_wheel(qtbot, window):
    key(qtbot, window, "B")
    window.canvas.tools.set_radius(10)
    key(qtbot, window, "]")
    assert window.canvas.tools.radius > 10
    key(qtbot, window, "[")
    key(qtbot, window, "[")
    assert window.canvas.tools.radius < 10
    r = window.canvas.tools.radius
    zoom = window.canvas.zoom
    centre = QPointF(window.canvas.viewport().rect().center())
    ev = QWheelEvent(
        centre, window.canvas.mapToGlobal(centre), QPoint(), QPoint(0, 120),
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.ControlModifier,
        Qt.ScrollPhase.NoScrollPhase, False,
    )  # fmt: skip
    QApplication.sendEvent(window.canvas.viewport(), ev)
    assert window.canvas.tools.radius > r and window.canvas.zoom == zoom
    # opacity moved to Shift+[ / Shift+] ({ and })
    opacity = window.opacity.value()
    key(qtbot, window, "{")
    assert window.opacity.value() == opacity - 10


def test_polygon_draws_a_new_object_and_cut_removes_a_region(qtbot, window):
    click(qtbot, window, 80, 120)
    first = window.editor.current
    key(qtbot, window, "C")
    square = [(200, 40), (300, 40), (300, 120), (200, 120)]
    polygon(qtbot, window, square)
    doc = window.editor.doc
    assert [o.id for o in doc.objects] == [1, 2]
    new = doc.current
    expected = polygon_mask(first.mask.shape, [on_screen(window, *v) for v in square])
    assert new.edited and new.points == () and np.array_equal(new.mask, expected)
    assert new.label == window.editor.active_label
    # Esc cancels a polygon in progress without clearing the object (Esc's other meaning)
    polygon(qtbot, window, [(10, 10), (60, 10), (60, 60)], close="Escape")
    assert len(doc.objects) == 2 and np.array_equal(doc.current.mask, expected)
    # cut a region out of the selected object
    key(qtbot, window, "Shift+C")
    assert window.canvas.tool == "cut"
    cut = [(200, 40), (250, 40), (250, 120), (200, 120)]
    polygon(qtbot, window, cut)
    hole = polygon_mask(expected.shape, [on_screen(window, *v) for v in cut])
    assert np.array_equal(doc.current.mask, expected & ~hole)
    key(qtbot, window, "Ctrl+Z")
    assert np.array_equal(doc.current.mask, expected)


def test_double_click_closes_a_polygon(qtbot, window):
    key(qtbot, window, "C")
    vp = window.canvas.viewport()
    for v in [(20, 20), (120, 20)]:
        qtbot.mouseClick(vp, LEFT, NONE, view_pos(window, *v))
    qtbot.mouseClick(vp, LEFT, NONE, view_pos(window, 120, 100))
    qtbot.mouseDClick(vp, LEFT, NONE, view_pos(window, 120, 100))
    obj = window.editor.current
    assert obj is not None and obj.edited and obj.mask.sum() > 1000


def test_edited_mask_is_saved_reloaded_and_exported(qtbot, window, tmp_path):
    click(qtbot, window, 80, 120)
    key(qtbot, window, "B")
    window.canvas.tools.set_radius(8)
    drag(qtbot, window, [(250, 200), (300, 200)])
    edited = window.editor.current.mask.copy()
    assert window.session.save()
    store = window.project.store
    loaded = store.load("a.png")
    assert loaded.annotation.objects[0].edited
    back = from_loaded(window.project.path_of("a.png"), loaded)
    assert np.array_equal(back.objects[0].mask, edited) and back.objects[0].edited
    assert not back.objects[0].needs_decode  # the PNG is the truth, not SAM
    # reopen the image in the app: the edit comes back from the PNG
    key(qtbot, window, "D")
    key(qtbot, window, "A")
    assert window.editor.doc.name == "a.png"
    assert np.array_equal(window.editor.current.mask, edited) and window.editor.current.edited
    # an export reads the saved instance PNG: the edited mask reaches it
    out = tmp_path / "coco"
    export_folder(window.project.folder, "coco", out)
    coco = json.loads((out / "instances.json").read_text())
    areas = [a["area"] for a in coco["annotations"] if a["image_id"] == 1]
    assert areas == [int(edited.sum())]


def answer(button_text: str, seen: list[str]) -> None:
    """Press `button_text` on the next question box (it is modal, so arm this first)."""

    def press() -> None:
        box = next(b for b in QApplication.topLevelWidgets() if isinstance(b, QMessageBox))
        if not box.isVisible():
            QTimer.singleShot(20, press)
            return
        seen.append(box.text())
        next(b for b in box.buttons() if b.text() == button_text).click()

    QTimer.singleShot(50, press)


def test_redecoding_an_edited_object_asks_first(qtbot, window):
    click(qtbot, window, 80, 120)
    key(qtbot, window, "B")
    window.canvas.tools.set_radius(8)
    drag(qtbot, window, [(250, 200), (300, 200)])
    edited = window.editor.current.mask.copy()
    key(qtbot, window, "B")  # back to prompts
    assert window.canvas.tool is None
    seen: list[str] = []
    answer(KEEP, seen)
    qtbot.mouseClick(window.canvas.viewport(), LEFT, NONE, view_pos(window, 90, 125))
    qtbot.waitUntil(lambda: bool(seen), timeout=WAIT_MS)
    assert "corrected by hand" in seen[0]
    obj = window.editor.current
    assert len(obj.points) == 1 and np.array_equal(obj.mask, edited) and obj.edited
    # Tab through candidates asks too
    answer(KEEP, seen)
    key(qtbot, window, "Tab")
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=WAIT_MS)
    assert np.array_equal(window.editor.current.mask, edited)
    # re-decode: SAM's mask replaces the edit, and undo brings the edit back
    answer(REDECODE, seen)
    with qtbot.waitSignal(window.editor.decoded, timeout=WAIT_MS):
        qtbot.mouseClick(window.canvas.viewport(), LEFT, NONE, view_pos(window, 90, 125))
    obj = window.editor.current
    assert len(obj.points) == 2 and not obj.edited and not np.array_equal(obj.mask, edited)
    key(qtbot, window, "Ctrl+Z")
    assert np.array_equal(window.editor.current.mask, edited)


def test_a_late_decode_never_overwrites_a_fresh_edit(qtbot, window):
    """Paint while SAM's answer is still in flight: the answer must not replace the edit."""
    editor = window.editor
    with qtbot.waitSignal(editor.decoded, timeout=WAIT_MS):
        editor.add_point(80, 120, True)
        assert editor.current.mask is None  # not decoded yet
        editor.paint_stroke([(250, 200), (300, 200)], 8, False)
        edited = editor.current.mask.copy()
    assert editor.current.edited and np.array_equal(editor.current.mask, edited)


def test_n_after_a_polygon_starts_a_new_object(qtbot, window):
    """A polygon object has a mask but no prompts: N must still start the next object, so the
    next click segments a new object instead of asking to re-decode the polygon."""
    key(qtbot, window, "C")
    polygon(qtbot, window, [(200, 40), (300, 40), (300, 120), (200, 120)])
    key(qtbot, window, "C")  # back to prompts
    assert window.canvas.tool != "polygon"
    key(qtbot, window, "N")
    doc = window.editor.doc
    assert len(doc.objects) == 2 and doc.current.id == 2 and doc.current.mask is None
    click(qtbot, window, 80, 120)  # no question: the polygon object is not touched
    qtbot.waitUntil(lambda: window.editor.current.mask is not None, timeout=WAIT_MS)
    assert doc.get(1).edited and doc.get(1).points == ()
    assert doc.current.id == 2 and doc.current.points
