"""End-to-end prompting with the real SamEngine (tiny random SAM): points, box, objects, undo."""

from __future__ import annotations

import numpy as np
from gui_helpers import WAIT_MS, click, key, points_of, view_pos
from PySide6.QtCore import Qt

LEFT, RIGHT = Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton


def test_click_adds_point_and_mask_appears(qtbot, window):
    result = click(qtbot, window, 80, 120)
    obj = window.editor.current
    assert points_of(obj) == [(80, 120, True)]
    assert obj.mask is not None and obj.mask.shape == (240, 320) and obj.mask.any()
    assert obj.mask is result.mask and obj.score == result.score
    assert not obj.needs_decode
    # a single click asks SAM for its 3 candidates and shows them with their confidence
    assert len(obj.candidate_scores) == 3 and obj.result_candidate == result.candidate
    assert f"{result.score:.3f}" in window.confidence.score_label.text()
    assert window.confidence.candidates[0].isVisible()
    assert not window.canvas._fill.pixmap().isNull()  # the overlay is on screen
    assert window.objects_panel.table.rowCount() == 1


def test_negative_point_feeds_back_previous_mask(qtbot, window):
    first = click(qtbot, window, 80, 120)
    second = click(qtbot, window, 230, 110, RIGHT)
    obj = window.editor.current
    assert points_of(obj) == [(80, 120, True), (230, 110, False)]
    assert second.request.mask_input is first.low_res  # previous low-res logits fed back
    assert second.candidate is None  # several prompts: SAM's single output
    assert obj.history == (first.score, second.score)
    third = click(qtbot, window, 100, 100, LEFT, Qt.KeyboardModifier.ShiftModifier)
    assert third.request.key.points[-1][2] is False  # Shift+click = negative


def test_ctrl_drag_draws_a_box(qtbot, window):
    vp = window.canvas.viewport()
    ctrl = Qt.KeyboardModifier.ControlModifier
    with qtbot.waitSignal(window.editor.decoded, timeout=WAIT_MS) as blocker:
        qtbot.mousePress(vp, LEFT, ctrl, view_pos(window, 50, 90))
        qtbot.mouseMove(vp, view_pos(window, 80, 120))
        qtbot.mouseRelease(vp, LEFT, ctrl, view_pos(window, 110, 150))
    obj = window.editor.current
    assert obj.points == ()
    assert obj.box == tuple(blocker.args[0].request.key.box)
    assert np.allclose(obj.box, (50, 90, 110, 150), atol=1.5)
    assert obj.mask is not None


def test_box_tool_drag_and_click_still_makes_a_point(qtbot, window):
    key(qtbot, window, "W")
    assert window.canvas.box_mode
    vp = window.canvas.viewport()
    with qtbot.waitSignal(window.editor.decoded, timeout=WAIT_MS):
        qtbot.mousePress(vp, LEFT, Qt.KeyboardModifier.NoModifier, view_pos(window, 200, 70))
        qtbot.mouseRelease(vp, LEFT, Qt.KeyboardModifier.NoModifier, view_pos(window, 260, 150))
    assert window.editor.current.box is not None
    click(qtbot, window, 230, 110)
    assert points_of(window.editor.current) == [(230, 110, True)]


def test_second_object_is_decoded_separately_and_unioned(qtbot, window):
    first = click(qtbot, window, 80, 120)
    key(qtbot, window, "N")
    second = click(qtbot, window, 230, 110)
    doc = window.editor.doc
    assert [o.id for o in doc.objects] == [1, 2]
    assert second.request.object_id == 2 and second.request.mask_input is None
    assert doc.get(1).mask is first.mask and doc.get(2).mask is second.mask
    instances = doc.instances()
    union = first.mask | second.mask
    assert np.array_equal(instances > 0, union)
    assert np.array_equal(instances == 2, second.mask)
    assert window.objects_panel.table.rowCount() == 2


def test_undo_redo_every_edit(qtbot, window):
    ed = window.editor
    first = click(qtbot, window, 80, 120)
    click(qtbot, window, 90, 130)
    key(qtbot, window, "Ctrl+Z")
    assert points_of(ed.current) == [(80, 120, True)]
    assert ed.current.mask is first.mask  # the earlier mask comes back, no re-decode
    assert ed.pending_count == 0
    key(qtbot, window, "Ctrl+Shift+Z")
    assert len(ed.current.points) == 2 and not ed.current.needs_decode
    key(qtbot, window, "Backspace")  # delete last point, re-decoded
    qtbot.waitUntil(lambda: not ed.current.needs_decode, timeout=WAIT_MS)
    assert points_of(ed.current) == [(80, 120, True)]
    key(qtbot, window, "Esc")  # clear object
    assert ed.current.points == () and ed.current.mask is None
    key(qtbot, window, "Ctrl+Z")
    assert points_of(ed.current) == [(80, 120, True)] and ed.current.mask is not None
    key(qtbot, window, "N")
    click(qtbot, window, 230, 110)
    key(qtbot, window, "Del")  # delete object 2
    assert [o.id for o in ed.doc.objects] == [1]
    key(qtbot, window, "Ctrl+Y")  # nothing to redo after a new edit
    assert [o.id for o in ed.doc.objects] == [1]
    key(qtbot, window, "Ctrl+Z")
    assert [o.id for o in ed.doc.objects] == [1, 2]


def test_undo_before_the_mask_arrives_drops_the_late_result(qtbot, window):
    ed = window.editor
    click(qtbot, window, 80, 120)
    qtbot.mouseClick(window.canvas.viewport(), LEFT, pos=view_pos(window, 90, 130))
    key(qtbot, window, "Ctrl+Z")  # the decode of the 2nd point is still in flight
    qtbot.waitUntil(lambda: ed.pending_count == 0, timeout=WAIT_MS)
    assert points_of(ed.current) == [(80, 120, True)]
    assert ed.current.mask_key == ed.current.key  # the stale mask was not applied


def test_tab_cycles_sams_candidate_masks(qtbot, window):
    ed = window.editor
    first = click(qtbot, window, 80, 120)
    with qtbot.waitSignal(ed.decoded, timeout=WAIT_MS) as blocker:
        key(qtbot, window, "Tab")
    chosen = (first.candidate + 1) % 3
    assert blocker.args[0].candidate == chosen
    assert ed.current.result_candidate == chosen
    assert ed.current.score == first.candidate_scores[chosen]
    assert window.confidence.candidates[chosen].isChecked()


def test_number_keys_pick_the_class(qtbot, window):
    window.project.add_class("cell")
    click(qtbot, window, 80, 120)
    key(qtbot, window, "2")
    assert window.editor.current.label == "cell"
    key(qtbot, window, "N")
    click(qtbot, window, 230, 110)
    assert window.editor.current.label == "cell"  # the chosen class sticks for new objects
    key(qtbot, window, "Ctrl+Z")
    key(qtbot, window, "Ctrl+Z")
    key(qtbot, window, "Ctrl+Z")  # back to before the class change
    assert window.editor.doc.get(1).label == "object"
