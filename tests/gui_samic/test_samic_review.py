"""Reviewing predictions in the main window: look, accept, edit, delete, reject, order, keys."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QKeySequence
from samic_gui_helpers import WAIT_MS, open_window

from sambox.model.overlay import render_fill, render_outline
from sambox.model.review_overlay import style_predicted
from sambox.model.status import ImageStatus
from samic_core.annotation import AnnotationStore
from samic_core.train.episodes import count_training_data


def press(qtbot, window, sequence: str) -> None:
    """Press a window-wide shortcut as the annotator would (focus on the canvas)."""
    combo = QKeySequence(sequence)[0]
    if not window.isActiveWindow():  # a dialog may have been the active window
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow)
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, combo.key(), combo.keyboardModifiers())


def click(qtbot, window, x: float, y: float, button=Qt.MouseButton.LeftButton):
    pos = window.canvas.mapFromScene(QPointF(x, y))
    with qtbot.waitSignal(window.editor.decoded, timeout=WAIT_MS):
        qtbot.mouseClick(window.canvas.viewport(), button, Qt.KeyboardModifier.NoModifier, pos)


@pytest.fixture
def window(qtbot, settings, review_folder):
    w = open_window(qtbot, settings, review_folder[0])
    yield w
    w.close()


def test_shortcuts_are_installed_and_do_not_clash(window):
    keys: dict[str, str] = {}
    for action in window.findChildren(type(window.actions["accept_review"])):
        for seq in action.shortcuts():
            k = seq.toString()
            assert k not in keys, f"{k} is bound to {keys[k]!r} and {action.text()!r}"
            keys[k] = action.text()
    for name, k in [
        ("train_samic", "Ctrl+T"),
        ("suggest_prompts", "P"),
        ("auto_annotate", "Ctrl+B"),
        ("accept_review", "Y"),
        ("reject_review", "Shift+Del"),
        ("next_unreviewed", "Ctrl+Shift+D"),
        ("prev_unreviewed", "Ctrl+Shift+A"),
    ]:
        assert window.actions[name].shortcut().toString() == k
    assert window.actions["train_samic"] in window.toolbar.actions()
    assert window.actions["auto_annotate"] in window.menus["&SAMIC"].actions()


def test_predicted_images_show_their_status_and_style(qtbot, window):
    assert window.image_list.status("pred_a.png") == ImageStatus.PREDICTED
    assert window.image_list.status("img_000.png") == ImageStatus.DONE
    assert "2 images to review" in window.samic.review_label.text()
    window.session.open_image("pred_a.png")
    assert "2 predicted objects here (lowest score 0.60)" in window.samic.review_label.text()
    # hatched fill and dashed outline for predictions, solid for manual objects
    instances = window.editor.doc.instances()
    fill, outline = render_fill(instances), render_outline(instances)
    styled_fill, styled_outline = style_predicted(fill, outline, instances, [1])
    on_1 = instances == 1
    assert (styled_fill[on_1, 3] == 0).any() and (styled_fill[on_1, 3] > 0).any()
    assert (styled_outline[..., 3] > 0).sum() < (outline[..., 3] > 0).sum()
    assert np.array_equal(styled_fill[instances == 2], fill[instances == 2])
    with qtbot.waitSignal(window.canvas.overlay_updated, timeout=WAIT_MS):
        press(qtbot, window, "Y")  # accepting redraws in the manual style


def test_accept_marks_reviewed_counts_as_training_data_and_moves_on(qtbot, window):
    folder = window.project.folder
    store = AnnotationStore(folder)
    before = count_training_data(folder)["disc"][0]
    window.session.open_image("pred_a.png")
    press(qtbot, window, "Y")
    ann = store.load_json("pred_a.png")
    assert ann.done and all(o.reviewed and o.source == "predicted" for o in ann.objects)
    assert window.project.statuses["pred_a.png"] == ImageStatus.DONE
    assert window.session.current == "pred_b.png"  # the next image to review
    assert count_training_data(folder)["disc"][0] == before + 1  # reviewed = training data


def test_edit_prompts_resegments_and_delete_wrong_object(qtbot, window, review_folder):
    _, images = review_folder
    store = AnnotationStore(window.project.folder)
    window.session.open_image("pred_a.png")
    path = window.project.path_of("pred_a.png")
    qtbot.waitUntil(lambda: window.service.is_embedded(path), timeout=WAIT_MS)  # a busy CPU
    window.editor.select_object(1)
    x, y = images["pred_a.png"].points[0]
    click(qtbot, window, x + 3, y + 3, Qt.MouseButton.RightButton)  # a negative point
    obj = window.editor.doc.get(1)
    assert len(obj.points) == 2 and not obj.points[1][2]
    assert obj.reviewed and obj.mask_key == obj.key  # re-segmented from the edited prompts
    window.editor.select_object(2)
    press(qtbot, window, "Del")  # a wrong object goes
    press(qtbot, window, "Ctrl+S")
    ann = store.load_json("pred_a.png")
    assert [o.id for o in ann.objects] == [1]
    assert ann.objects[0].reviewed and len(ann.objects[0].points) == 2
    assert not ann.is_predicted_unreviewed
    assert window.project.statuses["pred_a.png"] == ImageStatus.IN_PROGRESS


def test_reject_removes_predictions_and_keeps_manual_objects(qtbot, window):
    store = AnnotationStore(window.project.folder)
    window.session.open_image("pred_b.png")
    press(qtbot, window, "Shift+Del")
    assert not store.exists("pred_b.png")  # nothing left: unannotated again
    assert window.project.statuses["pred_b.png"] == ImageStatus.NOT_STARTED
    assert window.editor.doc.objects == ()
    press(qtbot, window, "Ctrl+Z")  # one undo step brings the predictions back ...
    window.session.open_image("img_000.png")  # ... and leaving the image saves them again
    assert store.load_json("pred_b.png").is_predicted_unreviewed
    # an image with a manual object and a prediction keeps the manual one
    window.session.open_image("pred_a.png")
    doc = window.editor.doc
    doc.state = doc.replace_object(replace(doc.get(1), source="manual", reviewed=True))
    press(qtbot, window, "Shift+Del")
    ann = store.load_json("pred_a.png")
    assert [(o.id, o.source) for o in ann.objects] == [(1, "manual")]


def test_next_unreviewed_and_confidence_order(qtbot, window):
    window.session.open_image("img_000.png")
    press(qtbot, window, "Ctrl+Shift+D")
    assert window.session.current == "pred_a.png"
    press(qtbot, window, "Ctrl+Shift+D")
    assert window.session.current == "pred_b.png"
    press(qtbot, window, "Ctrl+Shift+A")
    assert window.session.current == "pred_a.png"
    window.samic.order_action.trigger()  # least certain first: pred_a (0.6) before pred_b (0.8)
    names = [p.name for p in window.project.images]
    assert names[:2] == ["pred_a.png", "pred_b.png"]
    tree = window.image_list.tree
    shown = [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]
    assert shown[:2] == ["pred_a.png", "pred_b.png"]
    assert window.samic.review.confidence["pred_a.png"] == pytest.approx(0.6)
    press(qtbot, window, "D")  # next image follows the list order
    assert window.session.current == "pred_b.png"
    window.samic.order_action.trigger()
    assert [p.name for p in window.project.images] == sorted(names)
