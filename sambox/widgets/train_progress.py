"""The live part of the Train SAMIC dialog: epoch, losses, time left, progress bar, loss plot."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

from sambox.model.samic_info import (
    TrainOutcome,
    patience_in_epochs,
    time_left_text,
)
from sambox.widgets.loss_plot import LossPlot
from samic_core.modelfile.meta import ModelMeta
from samic_core.text import counted


def loss_text(v: float | None) -> str:
    return "—" if v is None else f"{v:.4g}"


def pixel_cue_note(meta: ModelMeta) -> str:
    """Where the run chose whether to keep the pixel cue: what it chose and why."""
    scores = meta.pixel_cue_scores
    if scores is None:
        return ""
    how = "kept" if meta.pixel_cue else "left out (it did not help here)"
    return (
        f" The pixel cue was {how}: the validation images' prompts scored {scores[0]:.2f} "
        f"with it and {scores[1]:.2f} without."
    )


class TrainProgressPanel(QGroupBox):
    """Shows one run; `show_progress` takes the core's TrainProgress values as they come."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Progress", parent)
        self.epoch_label = QLabel("Not started")
        self.loss_label = QLabel("")
        self.time_label = QLabel("")
        self.time_label.setWordWrap(True)
        self.time_label.setToolTip(
            "Training stops early once the loss has not improved for the patience, so the real "
            "time is between the two values shown"
        )
        self._schedule: tuple[str, int | None] = ("auto", None)
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.plot = LossPlot()
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.result_label.hide()
        self._stopping = False
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(self.epoch_label, 1)
        top.addWidget(self.time_label)
        layout.addLayout(top)
        layout.addWidget(self.progress)
        layout.addWidget(self.loss_label)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.result_label)

    def start(self, schedule: str = "auto", patience: int | None = None) -> None:
        """A new run with this training schedule and early-stop patience (in the schedule's
        unit; None = its default), for the time left (the run reports its time limit)."""
        self._schedule = (schedule, patience)
        self._stopping = False
        self.plot.clear()
        self.result_label.hide()
        self.epoch_label.setText("Preparing: reading images and backbone features…")
        self.loss_label.setText("")
        self.time_label.setText("")
        self.progress.setRange(0, 0)  # busy until the first step

    def stopping(self) -> None:
        self._stopping = True
        self.epoch_label.setText("Stopping after the current step…")

    def show_progress(self, p: Any) -> None:
        """A TrainProgress: epoch, step, running train loss, last val loss, best, eta."""
        self.progress.setRange(0, max(p.epochs * p.steps, 1))
        self.progress.setValue((p.epoch - 1) * p.steps + p.step)
        if not self._stopping:
            self.epoch_label.setText(f"Epoch {p.epoch} / {p.epochs} · step {p.step} / {p.steps}")
        self.loss_label.setText(
            f"Train loss {loss_text(p.train_loss)} · validation loss {loss_text(p.val_loss)} · "
            f"best {loss_text(p.best_loss)}"
        )
        done = (p.epoch - 1) * p.steps + p.step
        patience = patience_in_epochs(*self._schedule, p.steps, done)
        left = time_left_text(p.epoch, p.epochs, p.step, p.steps, p.eta_s, patience, p.limit_left_s)
        self.time_label.setText(left)
        if p.step == p.steps:  # an epoch's last step, then again with its validation loss
            self.plot.set_epoch(p.epoch, p.train_loss, p.val_loss)
            if p.best_epoch is not None:  # the epoch the score chose, whatever its loss
                self.plot.set_best_epoch(p.best_epoch)

    def finish(self, outcome: TrainOutcome) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.time_label.setText("")
        if outcome.history:  # redraw from the run's own record
            self.plot.clear()
            for epoch, train, val in outcome.history:
                self.plot.set_epoch(epoch, train, val)
        m = outcome.model
        if m is not None:
            self.plot.set_best_epoch(m.meta.best_epoch)
            how = "Stopped" if outcome.cancelled else "Finished"
            self.epoch_label.setText(f"{how} after {counted(outcome.epochs_run, 'epoch')}")
            self.result_label.setText(
                f"Saved model {m.name!r} (best epoch {m.meta.best_epoch}, train loss "
                f"{loss_text(m.meta.train_loss)}, validation loss {loss_text(m.meta.val_loss)}). "
                "Use it with Suggest Prompts or Auto-annotate." + pixel_cue_note(m.meta)
            )
        else:
            self.epoch_label.setText("Stopped")
            self.result_label.setText(
                "Stopped before the first epoch finished, so no model was saved."
            )
        self.result_label.show()

    def fail(self) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.time_label.setText("")
        self.epoch_label.setText("Training failed")
