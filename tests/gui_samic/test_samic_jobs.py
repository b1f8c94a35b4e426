"""TrainController and AutoAnnotateController against a stand-in SAMIC service: they own the
run (start once, cancel, only their run's progress and result), the dialogs only show it."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from samic_gui_helpers import open_window

from sambox.controllers.samic_jobs import AutoAnnotateController, TrainController
from sambox.model.samic_info import (
    AutoAnnotateOutcome,
    AutoAnnotateRequest,
    TrainOptions,
    TrainOutcome,
    model_path,
)
from sambox.widgets.autoannotate_dialog import AutoAnnotateDialog
from sambox.widgets.train_dialog import TrainDialog
from samic_core.annotation import AnnotationStore


class FakeSamic(QObject):
    """The SamicServiceLike signals and calls, recorded instead of run."""

    counts_ready = Signal(object, object)
    left_out_ready = Signal(object, object)
    counts_failed = Signal(str)
    train_progress = Signal(object)
    train_finished = Signal(object)
    train_failed = Signal(str)
    suggest_ready = Signal(object, str, object)
    suggest_failed = Signal(str)
    suggest_progress = Signal(int, int)
    annotate_progress = Signal(int, int, str)
    annotate_finished = Signal(object)
    annotate_failed = Signal(str)
    models_changed = Signal()

    min_images_per_class = 2

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple] = []
        self.training = False
        self.annotating = False

    def request_counts(self, folder: Path) -> None:
        self.calls.append(("counts", folder))

    def start_training(self, options: TrainOptions, annotations_dir: Path | None = None) -> Path:
        self.calls.append(("train", options.name))
        self.training = True
        return Path(options.folder) / f"{options.name}.samic"

    def cancel_training(self) -> None:
        self.calls.append(("cancel training",))

    def reference_candidates(self, folder: Path, label: str) -> list[str]:
        return ["a.png", "b.png"]

    def images_in(self, folder: Path) -> list[Path]:
        return [Path(folder) / "x.png"]

    def auto_annotate(self, request: AutoAnnotateRequest) -> None:
        self.calls.append(("annotate", request.label))
        self.annotating = True

    def cancel_auto_annotate(self) -> None:
        self.calls.append(("cancel annotate",))


def _options(folder: Path, name: str = "m") -> TrainOptions:
    return TrainOptions(folder=folder, name=name, classes=("disc",))


def _request(folder: Path) -> AutoAnnotateRequest:
    return AutoAnnotateRequest(
        model=folder / "m.samic",
        label="disc",
        images=(folder / "x.png",),
        target_folder=folder,
        reference_folder=folder,
        references=("a.png",),
    )


def test_train_controller_owns_one_run(qtbot, tmp_path: Path) -> None:
    samic = FakeSamic()
    jobs = TrainController(samic)
    seen: list[tuple] = []
    jobs.progress.connect(lambda p: seen.append(("progress", p)))
    jobs.model_trained.connect(lambda m: seen.append(("trained", m)))
    jobs.finished.connect(lambda o: seen.append(("finished", o.cancelled)))
    samic.train_progress.emit("before")  # not this controller's run: dropped
    samic.train_finished.emit(TrainOutcome("stray", False, 1))
    assert seen == [] and not jobs.running
    assert jobs.start(_options(tmp_path), tmp_path)
    assert jobs.running and jobs.options.name == "m"
    assert not jobs.start(_options(tmp_path, "other"), tmp_path)  # one run at a time
    assert samic.calls == [("train", "m")]
    samic.train_progress.emit("p1")
    jobs.cancel()
    samic.train_finished.emit(TrainOutcome("best", True, 3))
    assert seen == [("progress", "p1"), ("trained", "best"), ("finished", True)]
    assert samic.calls[-1] == ("cancel training",) and not jobs.running
    jobs.cancel()  # nothing running: nothing asked of the service
    assert samic.calls[-1] == ("cancel training",) and len(samic.calls) == 2


def test_train_controller_failure_and_counts(qtbot, tmp_path: Path) -> None:
    samic = FakeSamic()
    jobs = TrainController(samic)
    failed, counts = [], []
    jobs.failed.connect(failed.append)
    jobs.counts_ready.connect(lambda *a: counts.append(a))
    samic.train_failed.emit("stray")
    jobs.start(_options(tmp_path), tmp_path)
    samic.train_failed.emit("out of memory")
    assert failed == ["out of memory"] and not jobs.running
    jobs.request_counts(tmp_path)
    samic.left_out_ready.emit(tmp_path, {"disc": 1})
    samic.counts_ready.emit(tmp_path, {"disc": (3, 5)})
    assert counts == [(tmp_path, {"disc": (3, 5)}, {"disc": 1})]
    annotations = tmp_path / "annotations"
    model_path(annotations, "taken").parent.mkdir(parents=True)
    model_path(annotations, "taken").write_bytes(b"")
    assert jobs.problems(annotations, {"disc": (3, 5)}, ["disc"], "fresh") == []
    assert "exists" in jobs.problems(annotations, {"disc": (3, 5)}, ["disc"], "taken")[0]
    assert "at least 2" in jobs.problems(annotations, {"disc": (1, 1)}, ["disc"], "fresh")[0]


class Review:
    def __init__(self, log: list) -> None:
        self.log = log

    def batch_written(self, request, outcome) -> None:
        self.log.append(("review", outcome.objects))


def test_auto_annotate_controller_shows_the_batch_before_announcing_it(
    qtbot, tmp_path: Path
) -> None:
    samic, log = FakeSamic(), []
    jobs = AutoAnnotateController(samic, Review(log))
    jobs.progress.connect(lambda d, t, n: log.append(("progress", d, t)))
    jobs.finished.connect(lambda r, o: log.append(("finished", r.label)))
    samic.annotate_progress.emit(1, 9, "stray.png")
    samic.annotate_finished.emit(AutoAnnotateOutcome())
    assert log == [] and not jobs.running
    assert jobs.start(_request(tmp_path)) and not jobs.start(_request(tmp_path))
    samic.annotate_progress.emit(1, 1, "x.png")
    jobs.cancel()
    samic.annotate_finished.emit(AutoAnnotateOutcome(objects=4, cancelled=True))
    assert log == [("progress", 1, 1), ("review", 4), ("finished", "disc")]
    assert samic.calls == [("annotate", "disc"), ("cancel annotate",)] and not jobs.running
    assert jobs.images_in(tmp_path / "missing") == []
    assert jobs.images_in(tmp_path) == [tmp_path / "x.png"]


def test_train_dialog_shows_the_controllers_run(qtbot, tmp_path: Path) -> None:
    samic = FakeSamic()
    jobs = TrainController(samic)
    dialog = TrainDialog(jobs, tmp_path, tmp_path / "annotations", device="cpu")
    qtbot.addWidget(dialog)
    assert samic.calls == [("counts", tmp_path)]
    samic.left_out_ready.emit(tmp_path, {})
    samic.counts_ready.emit(tmp_path, {"disc": (3, 5)})
    assert dialog.table.item(0, 0).text() == "disc" and dialog.train_button.isEnabled()
    dialog.set_weights("none")
    dialog.start()
    assert samic.calls[-1][0] == "train" and dialog.running and dialog.stop_button.isEnabled()
    assert not dialog.train_button.isEnabled() and not dialog.name.isEnabled()
    dialog.stop()
    assert samic.calls[-1] == ("cancel training",)
    samic.train_finished.emit(TrainOutcome(None, True, 0))
    assert not dialog.running and dialog.train_button.isEnabled() and dialog.name.isEnabled()


def test_auto_annotate_dialog_shows_the_controllers_batch(qtbot, tmp_path: Path) -> None:
    samic = FakeSamic()
    jobs = AutoAnnotateController(samic)
    dialog = AutoAnnotateDialog(jobs, tmp_path, ["x.png"], [], [], device="cpu")
    qtbot.addWidget(dialog)
    dialog.start()  # no model: the dialog says so and asks nothing of the controller
    assert "Train a model first" in dialog.status.text() and not jobs.running
    jobs.start(_request(tmp_path))  # a batch started elsewhere shows here too
    samic.annotate_progress.emit(1, 3, "x.png")
    assert dialog.progress.value() == 1 and "x.png done" in dialog.status.text()
    samic.annotate_finished.emit(AutoAnnotateOutcome(written=("x.png",), objects=2))
    assert "1 image annotated (2 objects)" in dialog.status.text()


def test_closed_batch_reports_in_the_status_bar_and_ctrl_b_shows_it_again(
    qtbot, settings, annotated_folder: Path, tiny_samic_model: Path, monkeypatch
) -> None:
    """The batch is the controller's: with its dialog closed, progress goes to the status bar,
    Auto-annotate shows the same dialog again, and the end refreshes the image list."""
    models = AnnotationStore(annotated_folder).dir / "models"
    models.mkdir()
    shutil.copy(tiny_samic_model, models / "tiny.samic")
    w = open_window(qtbot, settings, annotated_folder)
    samic = w.samic.samic
    monkeypatch.setattr(samic, "auto_annotate", lambda request: None)  # no real batch
    dialog = w.samic.open_autoannotate_dialog()
    dialog.start()
    assert w.samic.annotating.running
    dialog.close()
    samic.annotate_progress.emit(1, 2, "new_000.png")
    assert w.status_text.text() == "Auto-annotate: 1 / 2 images…"
    assert w.samic.open_autoannotate_dialog() is dialog and dialog.isVisible()
    refreshed = []
    monkeypatch.setattr(w.samic.review, "refresh", lambda names=None: refreshed.append(names))
    samic.annotate_finished.emit(AutoAnnotateOutcome(written=("new_000.png",), objects=1))
    assert refreshed == [["new_000.png", "new_001.png"]]
    assert "Auto-annotate: 1 image annotated" in w.status_text.text()
    assert not w.samic.annotating.running
    w.close()
