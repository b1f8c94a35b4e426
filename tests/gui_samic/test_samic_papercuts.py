"""Train / Auto-annotate / Suggest papercuts of issue 12: the remembered backbone choice, box-only
objects explained, an honest time left, the batch bar's first value, and a class the model
never saw."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from samic_gui_helpers import WAIT_MS, open_window
from test_samic_autoannotate import make_dialog as make_annotate_dialog
from test_samic_train_dialog import make_dialog as make_train_dialog

from sambox.controllers.samic_jobs import TrainController
from sambox.model.samic_info import time_left_text
from sambox.widgets.samic_ui import CANCEL_SUGGEST, USE_TRAINED
from sambox.widgets.train_dialog import TrainDialog
from samic_core.annotation import AnnotatedObject, AnnotationStore


def test_backbone_choice_is_remembered_between_dialogs(
    qtbot, settings, annotated_folder: Path, tmp_path: Path
):
    w = open_window(qtbot, settings, annotated_folder)
    first = w.samic.open_train_dialog()
    first.set_weights("none")
    assert settings.backbone_weights == "none"
    w.samic._folder_opened(annotated_folder)  # reopening the folder makes a new dialog
    second = w.samic.open_train_dialog()
    assert second is not first
    assert second.weights.currentData() == "none"
    weights = tmp_path / "resnet50.pth"
    weights.write_bytes(b"x")
    second.set_weights(str(weights))
    w.samic._folder_opened(annotated_folder)
    third = w.samic.open_train_dialog()
    assert third.options().backbone_weights == str(weights)
    w.close()


def test_objects_without_click_or_mask_are_explained_in_the_train_dialog(
    qtbot, samic_service, annotated_folder: Path
):
    store = AnnotationStore(annotated_folder)
    loaded = store.load("img_003.png")
    ann = loaded.annotation
    boxed = [
        AnnotatedObject(id=o.id, label=o.label, box=[1, 1, 30, 30], points=[]) for o in ann.objects
    ]  # a box and no mask (one with a mask is learnt at its mask's deepest point)
    store.save(ann.model_copy(update={"objects": boxed}), np.zeros_like(loaded.instances))
    dialog = make_train_dialog(qtbot, samic_service, annotated_folder)
    assert dialog.table.item(0, 1).text() == "3"  # img_003 cannot be trained on ...
    note = dialog.counts_note.text()
    assert f"Not counted: {len(boxed)} object" in note  # ... and the dialog says why
    assert "neither a clicked point nor a mask" in note and "'disc'" in note


def test_time_left_is_a_range_up_to_the_epoch_limit() -> None:
    # 10 s an epoch of 4 steps, epoch 3 of 300 just started, patience 10
    text = time_left_text(3, 300, 1, 4, eta_s=10 * 297 + 7.5, patience=10).replace("\u00a0", " ")
    assert text == (
        "Time left: about 1 min 48 s if the loss stops improving, at most 49 min 38 s "
        "(to epoch 300)"
    )
    assert (
        time_left_text(299, 300, 4, 4, 10.0, 10) == "Time left: about 10\u00a0s (to epoch\u00a0300)"
    )
    assert time_left_text(1, 300, 1, 4, None, 10) == "Time left: estimating…"


def test_auto_annotate_bar_starts_at_the_number_of_images(
    qtbot, samic_service, annotated_folder: Path, tiny_samic_model: Path
):
    dialog = make_annotate_dialog(qtbot, samic_service, annotated_folder, tiny_samic_model)
    assert dialog.progress.text() == "0 / 2 images"  # new_000 and new_001, not "0 / 100"
    dialog.r_other.setChecked(True)
    assert "100" not in dialog.progress.text()


def test_suggest_warns_about_a_class_the_model_never_saw(
    qtbot, settings, annotated_folder: Path, tiny_samic_model: Path, monkeypatch
):
    models = AnnotationStore(annotated_folder).dir / "models"
    models.mkdir()
    shutil.copy(tiny_samic_model, models / "tiny.samic")
    w = open_window(qtbot, settings, annotated_folder)
    w.project.add_class("helmet")
    w.session.open_image("new_000.png")
    w.editor.set_label("helmet")
    asked: list[tuple[str, str]] = []
    answers = [CANCEL_SUGGEST, USE_TRAINED]
    monkeypatch.setattr(
        w.samic,
        "ask_untrained",
        lambda model, label: asked.append((model.name, label)) or answers.pop(0),
    )
    assert not w.samic.suggest()  # cancelled: nothing asked of SAMIC
    assert asked == [("tiny", "helmet")] and not w.samic.review.suggesting
    with qtbot.waitSignal(w.samic.review.suggested, timeout=WAIT_MS):
        assert w.samic.suggest()  # "use 'disc'" instead
    assert w.editor.active_label == "disc"
    assert all(o.label == "disc" for o in w.editor.doc.objects)
    assert np.all([o.source == "predicted" for o in w.editor.doc.objects])
    w.close()


def test_train_dialog_starts_on_the_given_backbone_choice(qtbot, samic_service, annotated_folder):
    dialog = TrainDialog(
        TrainController(samic_service), annotated_folder, AnnotationStore(annotated_folder).dir,
        backbone_weights="none",
    )  # fmt: skip
    qtbot.addWidget(dialog)
    assert dialog.weights.currentData() == "none"
