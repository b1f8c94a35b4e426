"""The Train SAMIC dialog: counts, warnings, a real (tiny) training run, stop, the loss plot."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt
from samic_gui_helpers import TINY_SIZE

from sambox.controllers.samic_jobs import TrainController
from sambox.model.samic_info import model_files, time_left_text
from sambox.widgets.train_dialog import TrainDialog
from samic_core.annotation import AnnotationStore

WAIT_MS = 180_000  # generous: 2 busy cores; only a failing run waits this long


def make_dialog(qtbot, service, folder: Path) -> TrainDialog:
    jobs = TrainController(service)
    dialog = TrainDialog(jobs, folder, AnnotationStore(folder).dir, device="cpu")
    jobs.setParent(dialog)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(
        lambda: dialog.table.rowCount() > 0 or dialog.warning.isVisible(), timeout=WAIT_MS
    )
    dialog.image_size.setCurrentIndex(dialog.image_size.findData(TINY_SIZE))
    dialog.set_weights("none")
    return dialog


def test_counts_and_warning_for_too_few_images(qtbot, samic_service, annotated_folder: Path):
    store = AnnotationStore(annotated_folder)
    for name in ("img_001.png", "img_002.png", "img_003.png"):
        store.delete(name)
    dialog = make_dialog(qtbot, samic_service, annotated_folder)
    assert dialog.table.item(0, 0).text() == "disc"
    assert dialog.table.item(0, 1).text() == "1"  # one annotated image
    assert int(dialog.table.item(0, 2).text()) >= 2  # its objects
    assert dialog.warning.isVisible()
    assert "at least 2" in dialog.warning.text()
    assert not dialog.train_button.isEnabled()


def test_empty_folder_says_what_to_do(qtbot, samic_service, tmp_path: Path):
    folder = tmp_path / "empty"
    folder.mkdir()
    dialog = make_dialog(qtbot, samic_service, folder)
    qtbot.waitUntil(dialog.warning.isVisible, timeout=WAIT_MS)
    assert "No annotated images" in dialog.warning.text()
    assert not dialog.train_button.isEnabled()


def test_train_two_epochs_saves_the_model(qtbot, samic_service, annotated_folder: Path):
    dialog = make_dialog(qtbot, samic_service, annotated_folder)
    assert dialog.selected_classes() == ["disc"]
    assert not dialog.warning.isVisible()
    dialog.epochs.setValue(2)
    dialog.name.setText("first")
    assert dialog.options().pixel_cue  # on under auto, as `samic train`'s default
    dialog.schedule.setCurrentIndex(dialog.schedule.findData("paper"))
    assert not dialog.pixel_cue.isChecked()  # the box follows the schedule's default
    dialog.schedule.setCurrentIndex(dialog.schedule.findData("auto"))
    assert dialog.options().pixel_cue and dialog.options().schedule == "auto"
    progress = []
    samic_service.train_progress.connect(progress.append)
    with qtbot.waitSignal(dialog.jobs.model_trained, timeout=WAIT_MS) as blocker:
        qtbot.mouseClick(dialog.train_button, Qt.MouseButton.LeftButton)
        assert dialog.running and not dialog.train_button.isEnabled()
    info = blocker.args[0]
    path = AnnotationStore(annotated_folder).dir / "models" / "first.samic"
    assert info.path == path and path.is_file()
    assert model_files(AnnotationStore(annotated_folder).dir) == [path]
    assert (
        info.classes == ("disc",) and info.meta.epochs_run >= 1 and info.meta.train_loss is not None
    )
    assert info.meta.config["pixel_cue"] is True  # the box reached the core's TrainConfig
    assert info.meta.config["jitter"] is True  # auto's, as the CLI's
    chosen = info.meta.pixel_cue_scores is not None  # kept or left out on the validation images
    assert chosen is ("The pixel cue was " in dialog.run.result_label.text())
    assert {p.epoch for p in progress} == {1, 2}
    assert dialog.run.plot.epochs == [1, 2]  # one plotted point per epoch
    assert "Saved model 'first'" in dialog.run.result_label.text()
    assert dialog.train_button.isEnabled() and dialog.name.text() != "first"


def test_stop_keeps_the_best_epoch_so_far(qtbot, samic_service, annotated_folder: Path):
    dialog = make_dialog(qtbot, samic_service, annotated_folder)
    dialog.epochs.setValue(100)
    dialog.time_limit.setValue(dialog.time_limit.maximum())  # the epochs are the limit here
    dialog.patience.setValue(500)
    dialog.name.setText("stopped")
    epochs_done = []

    def on_progress(p):
        if p.step == p.steps and p.val_loss is not None:
            epochs_done.append(p.epoch)

    samic_service.train_progress.connect(on_progress)
    dialog.start()
    # three such events: an epoch's last step also carries a validation loss (the previous
    # epoch's), so two can be epoch 1's end and epoch 2's last step, before epoch 2 is saved
    qtbot.waitUntil(lambda: len(epochs_done) >= 3, timeout=WAIT_MS)
    assert dialog.run.epoch_label.text().startswith("Epoch ")  # live values while it runs
    assert dialog.run.time_label.text().startswith("Time left: about")
    assert "(to epoch\u00a0100)" in dialog.run.time_label.text()  # the limit, said as such
    assert "validation loss" in dialog.run.loss_label.text()
    with qtbot.waitSignal(samic_service.train_finished, timeout=WAIT_MS) as blocker:
        qtbot.mouseClick(dialog.stop_button, Qt.MouseButton.LeftButton)
    outcome = blocker.args[0]
    assert outcome.cancelled
    assert 2 <= outcome.epochs_run < 100
    assert outcome.model is not None and outcome.model.path.is_file()
    assert not dialog.running and "Stopped after" in dialog.run.epoch_label.text()


def test_schedule_choice_sets_the_patience_unit_and_reaches_the_options(
    qtbot, samic_service, annotated_folder: Path
):
    dialog = make_dialog(qtbot, samic_service, annotated_folder)
    assert dialog.options().schedule == "auto" and dialog.options().patience is None
    assert dialog.patience.text() == "default (240 steps)"
    dialog.schedule.setCurrentIndex(dialog.schedule.findData("paper"))
    assert dialog.patience.text() == "default (10 epochs)"
    dialog.patience.setValue(25)
    assert (dialog.options().schedule, dialog.options().patience) == ("paper", 25)


def test_time_limit_follows_the_schedule_and_reaches_the_options(
    qtbot, samic_service, annotated_folder: Path
):
    """By default the schedule's limit (auto: 14 minutes on a CPU), else the minutes given; the
    time-left range ends at the limit the run reports."""
    dialog = make_dialog(qtbot, samic_service, annotated_folder)
    assert dialog.options().time_limit is None
    assert dialog.time_limit.text() == "default (14 min on a CPU, none on a GPU)"
    dialog.schedule.setCurrentIndex(dialog.schedule.findData("paper"))
    assert dialog.options().time_limit is None and dialog.time_limit.text() == "none"
    dialog.schedule.setCurrentIndex(dialog.schedule.findData("auto"))
    dialog.time_limit.setValue(3)
    assert dialog.options().time_limit == 3.0
    text = time_left_text(3, 300, 1, 4, eta_s=10 * 297, patience=40, limit_left_s=60.0)
    assert text.replace("\u00a0", " ") == "Time left: about 1 min 00 s (the time limit)"


def test_the_apps_schedules_and_peak_rules_are_the_cores() -> None:
    """The app's combos list the core's vocabularies (samic_core.config), with its own words."""
    from sambox.model.samic_info import patience_in_epochs, peak_entries, schedule_entries
    from samic_core.config import PEAK_CHOICES, TRAIN_SCHEDULES

    assert [name for name, _, _ in schedule_entries()] == list(TRAIN_SCHEDULES)
    assert [name for name, _, _ in peak_entries()] == list(PEAK_CHOICES)
    assert all(text != name and tip for name, text, tip in schedule_entries() + peak_entries())
    # auto: 240 steps of patience, but never before 480 steps; 12 steps an epoch
    assert patience_in_epochs("auto", None, 12, 0) == 40
    assert patience_in_epochs("auto", None, 12, 400) == 20
    assert patience_in_epochs("auto", 24, 12, 1000) == 2
    assert patience_in_epochs("paper", None, 12, 0) == 10


def test_the_result_says_whether_the_pixel_cue_was_kept() -> None:
    from sambox.widgets.train_progress import pixel_cue_note
    from samic_core.modelfile.meta import ModelMeta

    base = ModelMeta(classes=("disc",), backbone="resnet50", backbone_weights="none",
                     backbone_sha256="0" * 64, image_size=64, output="sigmoid",
                     support_resize="max", learnable_params=1)  # fmt: skip
    assert pixel_cue_note(base) == ""  # no choice made (no cue, or always kept)
    scores = {"pixel_cue_score_with": 0.87, "pixel_cue_score_without": 0.75}
    kept = pixel_cue_note(replace(base, pixel_cue=True, config=scores))
    assert "was kept" in kept and "0.87 with it and 0.75 without" in kept
    scores = {"pixel_cue_score_with": 0.7, "pixel_cue_score_without": 0.9}
    assert "left out" in pixel_cue_note(replace(base, config=scores))
    assert pixel_cue_note(replace(base, config={"pixel_cue_score_with": "x"})) == ""
