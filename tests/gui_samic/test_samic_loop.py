"""SAMIC from the app alone: suggest prompts, closing while training, and the whole loop
annotate -> Train SAMIC -> Auto-annotate -> review -> the reviewed image trains the next model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QKeySequence
from samic_gui_helpers import IMAGE_PX, TINY_SIZE, WAIT_MS, add_unannotated, open_window

from sambox.model.samic_info import model_path
from sambox.model.status import ImageStatus
from samic_core.annotation import AnnotationStore
from samic_core.testing.samic_task import write_synthetic_folder


def press(qtbot, window, sequence: str) -> None:
    combo = QKeySequence(sequence)[0]
    if not window.isActiveWindow():  # a dialog may have been the active window
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow)
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, combo.key(), combo.keyboardModifiers())


def click(qtbot, window, x: float, y: float) -> None:
    pos = window.canvas.mapFromScene(QPointF(x, y))
    with qtbot.waitSignal(window.editor.decoded, timeout=WAIT_MS):
        qtbot.mouseClick(
            window.canvas.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos
        )


def tiny_options(dialog, epochs: int = 2) -> None:
    dialog.image_size.setCurrentIndex(dialog.image_size.findData(TINY_SIZE))
    dialog.set_weights("none")
    dialog.epochs.setValue(epochs)


def test_suggest_prompts_adds_editable_objects(
    qtbot, settings, annotated_folder: Path, tiny_samic_model: Path
):
    models = AnnotationStore(annotated_folder).dir / "models"
    models.mkdir()
    shutil.copy(tiny_samic_model, models / "tiny.samic")
    w = open_window(qtbot, settings, annotated_folder)
    assert w.samic.active_model.name == "tiny"
    assert "disc  ·  epoch " in w.samic.models_panel.list.item(0).text()
    w.session.open_image("new_000.png")
    assert w.editor.active_label == "disc"
    with qtbot.waitSignal(w.samic.review.suggested, timeout=WAIT_MS) as blocker:
        press(qtbot, w, "P")
    n = blocker.args[0]
    assert n >= 1
    objs = w.editor.doc.objects
    assert len(objs) == n
    for o in objs:
        assert o.source == "predicted" and not o.reviewed and o.label == "disc"
        assert o.points and o.mask is not None and o.mask.shape == (IMAGE_PX, IMAGE_PX)
        assert o.mask_key == o.key  # ready to edit: no decode pending for it
    assert f"{n} predicted object" in w.samic.review_label.text()
    press(qtbot, w, "Ctrl+Z")  # the suggestion is one undo step
    assert w.editor.doc.objects == ()
    w.close()


def test_suggest_prompts_uses_the_remembered_prompt_rule(
    qtbot, settings, annotated_folder: Path, tiny_samic_model: Path, monkeypatch
):
    import samic_core.predict.autoannotate as core
    from samic_core.peaks import PeakRule

    rules = []
    monkeypatch.setattr(core, "suggest_objects", lambda *a, **kw: rules.append(kw["rule"]) or [])
    models = AnnotationStore(annotated_folder).dir / "models"
    models.mkdir()
    shutil.copy(tiny_samic_model, models / "tiny.samic")
    settings.samic_peaks = "nms"
    w = open_window(qtbot, settings, annotated_folder)
    w.session.open_image("new_000.png")
    with qtbot.waitSignal(w.samic.review.suggested, timeout=WAIT_MS):
        press(qtbot, w, "P")
    assert rules == [PeakRule()]
    w.close()


def test_closing_while_training_asks_and_keeps_the_best_model(
    qtbot, settings, annotated_folder: Path, monkeypatch
):
    w = open_window(qtbot, settings, annotated_folder)
    dialog = w.samic.open_train_dialog()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=WAIT_MS)
    tiny_options(dialog, epochs=1000)
    dialog.patience.setValue(500)
    epochs = []
    w.samic.samic.train_progress.connect(
        lambda p: epochs.append(p.epoch) if p.step == p.steps else None
    )
    dialog.start()
    qtbot.waitUntil(lambda: len(set(epochs)) >= 2, timeout=WAIT_MS)
    asked = []
    monkeypatch.setattr(w.session, "ask_stop", lambda busy: asked.append(busy) or False)
    w.close()
    assert w.isVisible() and w.samic.samic.training  # "no": nothing stopped
    assert "Training is still running" in asked[0][0]
    monkeypatch.setattr(w.session, "ask_stop", lambda busy: True)
    w.close()
    assert not w.isVisible()
    assert w.samic.samic.train_pool.activeThreadCount() == 0  # stopped, not left running
    qtbot.waitUntil(lambda: not w.samic.samic.training, timeout=WAIT_MS)
    assert list((AnnotationStore(annotated_folder).dir / "models").glob("*.last.samic"))


def _loop_folder(tmp_path: Path):
    """3 hand-annotated 'disc' images and 3 without annotations (u_000 … u_002)."""
    folder = tmp_path / "loop"
    write_synthetic_folder(folder, 3, size=IMAGE_PX, seed=3)
    hand = add_unannotated(folder, ["u_000.png", "u_001.png", "u_002.png"], seed=5)[0]
    return folder, hand


def _annotate_by_hand(qtbot, w, folder: Path, hand) -> None:
    """Annotate u_000 by clicking its objects, then done + next (Ctrl+Return)."""
    w.session.open_image("u_000.png")
    qtbot.waitUntil(lambda: w.service.is_embedded(folder / "u_000.png"), timeout=WAIT_MS)
    for x, y in hand.points:
        press(qtbot, w, "N")
        click(qtbot, w, x, y)
    press(qtbot, w, "Ctrl+Return")  # done, saved, next
    assert AnnotationStore(folder).load_json("u_000.png").done


def _annotate_review_and_recount(qtbot, w, folder: Path) -> None:
    """Auto-annotate the unannotated images with the active model, accept one, and see it
    counted as training data by the next Train SAMIC."""
    store = AnnotationStore(folder)
    press(qtbot, w, "Ctrl+B")
    annotate = w.samic.annotate_dialog
    assert annotate.r_unannotated.isChecked() and annotate.label.currentText() == "disc"
    with qtbot.waitSignal(annotate.jobs.finished, timeout=WAIT_MS) as blocker:
        qtbot.mouseClick(annotate.start_button, Qt.MouseButton.LeftButton)
    request, outcome = blocker.args
    assert sorted(p.name for p in request.images) == ["u_001.png", "u_002.png"]
    assert outcome.written
    annotate.close()
    for name in outcome.written:
        assert store.load_json(name).is_predicted_unreviewed
        assert w.image_list.status(name) == ImageStatus.PREDICTED
    assert w.image_list.status("u_000.png") == ImageStatus.DONE  # manual work untouched

    # review: next to review, accept
    w.session.open_image("img_000.png")
    press(qtbot, w, "Ctrl+Shift+D")
    first = w.session.current
    assert first in outcome.written
    press(qtbot, w, "Y")
    assert all(o.reviewed for o in store.load_json(first).objects)
    assert w.image_list.status(first) == ImageStatus.DONE

    # the reviewed prediction is training data for the next Train SAMIC
    dialog = w.samic.open_train_dialog()
    count = lambda: dialog.table.item(0, 1)  # noqa: E731 (None until the counts arrive)
    qtbot.waitUntil(lambda: count() is not None and count().text() == "5", timeout=WAIT_MS)


@pytest.mark.slow
def test_whole_loop_from_the_app(qtbot, settings, tmp_path: Path):
    """annotate -> Train SAMIC (a real run from the dialog) -> auto-annotate -> review."""
    folder, hand = _loop_folder(tmp_path)
    w = open_window(qtbot, settings, folder)
    _annotate_by_hand(qtbot, w, folder, hand)

    w.samic.window.actions["train_samic"].trigger()
    dialog = w.samic.train_dialog
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=WAIT_MS)
    assert dialog.table.item(0, 1).text() == "4"  # 3 + the one annotated just now
    tiny_options(dialog)
    with qtbot.waitSignal(dialog.jobs.model_trained, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.train_button, Qt.MouseButton.LeftButton)
    dialog.close()
    assert [m.name for m in w.samic.models_panel.models] == [dialog.options().name] or len(
        w.samic.models_panel.models
    ) == 1
    model = w.samic.active_model
    assert model is not None and model.path.is_file() and model.classes == ("disc",)

    _annotate_review_and_recount(qtbot, w, folder)
    w.close()


def test_loop_with_a_trained_model_from_the_app(qtbot, settings, tmp_path: Path, tiny_samic_model):
    """The fast sibling of the whole loop: the same steps with a model trained beforehand
    (training from the dialog is covered by test_samic_train_dialog)."""
    folder, hand = _loop_folder(tmp_path)
    path = model_path(AnnotationStore(folder).dir, "tiny")
    path.parent.mkdir(parents=True)
    shutil.copy(tiny_samic_model, path)
    w = open_window(qtbot, settings, folder)
    _annotate_by_hand(qtbot, w, folder, hand)
    w.samic.refresh_models()
    model = w.samic.active_model
    assert model is not None and model.path == path and model.classes == ("disc",)
    _annotate_review_and_recount(qtbot, w, folder)
    w.close()
