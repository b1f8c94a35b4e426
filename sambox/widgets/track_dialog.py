"""Video > Track Objects Through Clip…: carry the annotated objects to every frame of the clip.

A SAM 2.1 engine tracks with its video memory; with SAM 1 a SAMIC model follows each object from
the previous frame (chosen here). Progress and Cancel while it runs; the folder is reopened
afterwards by the controller, so the tracked frames show as predictions to review.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sambox.controllers.clip import ClipController


class TrackDialog(QDialog):
    """Options, Start / Cancel, progress and the run's summary."""

    def __init__(self, clips: ClipController, folder: Path, frames: int, sam2: bool | None,
                 samic_model: Path | None, parent: QWidget | None = None) -> None:  # fmt: skip
        """sam2: whether the engine is SAM 2.1 (None: not known before it loads; then the SAMIC
        model is asked for, and used only if the checkpoint turns out to be SAM 1)."""
        super().__init__(parent)
        self.clips, self.sam2 = clips, sam2
        self.setWindowTitle("Track Objects Through Clip")
        self.setMinimumWidth(520)
        engine = {
            True: "SAM 2.1's video memory carries them forward and backward",
            False: "SAM 1 has no video memory: SAMIC follows each object from the previous frame",
            None: "With a SAM 2.1 checkpoint its video memory carries them; with SAM 1, SAMIC "
            "follows each object from the previous frame (the model below)",
        }[sam2]
        intro = QLabel(
            f"The objects annotated on some of the {frames} frames of {folder.name} (manual or "
            f"reviewed objects, or frames marked done) are carried to every other frame under "
            f"the same ids. {engine}. Frames with your work are never changed; the others get "
            "predictions to review (Y accepts)."
        )
        intro.setWordWrap(True)
        self.model = QLineEdit(str(samic_model or ""))
        self.model.setPlaceholderText("a SAMIC model (.samic) trained on these objects")
        pick = QPushButton("Browse…")
        pick.clicked.connect(self._pick_model)
        row = QWidget(self)  # owned by the dialog, shown only for SAM 1
        r = QHBoxLayout(row)
        r.setContentsMargins(0, 0, 0, 0)
        r.addWidget(self.model, 1)
        r.addWidget(pick)
        self.restart = QCheckBox(
            "Track the whole clip again (not from where an earlier run stopped)"
        )
        form = QFormLayout()
        if sam2:
            row.hide()
        else:
            form.addRow("SAMIC model" if sam2 is False else "SAMIC model (SAM 1 only)", row)
        form.addRow("", self.restart)
        self.progress = QProgressBar()
        self.progress.hide()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.start_button = self.buttons.addButton("Track", QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.start_button.clicked.connect(self.start)
        self.close_button.clicked.connect(self._close_or_cancel)
        layout = QVBoxLayout(self)
        for w in (intro,):
            layout.addWidget(w)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        clips.progress.connect(self._progress)
        clips.finished.connect(self._finished)
        clips.failed.connect(self._failed)
        clips.cancelled.connect(self._cancelled)

    def samic_model(self) -> Path | None:
        if self.sam2:
            return None
        text = self.model.text().strip()
        return Path(text) if text else None

    def start(self) -> None:
        if self.sam2 is False and self.samic_model() is None:
            self.status.setText("Choose a SAMIC model: SAM 1 tracks with SAMIC frame to frame.")
            return
        self.start_button.setEnabled(False)
        self.close_button.setText("Cancel")
        self.progress.setRange(0, 0)
        self.progress.show()
        self.status.setText("Loading the model…")
        self.adjustSize()  # room for the progress bar: the text above keeps its lines
        self.clips.start_track(self.samic_model(), self.restart.isChecked())

    def _pick_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "SAMIC model", self.model.text(),
                                              "SAMIC models (*.samic *.pt)")  # fmt: skip
        if path:
            self.model.setText(path)

    def _close_or_cancel(self) -> None:
        self.reject()

    def reject(self) -> None:
        """Close, or while a run goes on (Close, Esc, the window's X), cancel it first: the
        dialog stays until the run has stopped, so nothing runs on that cannot be stopped."""
        if self.clips.busy:
            self.status.setText("Cancelling after the frame in progress…")
            self.clips.cancel()
            return
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        if self.clips.busy:
            event.ignore()
            self.reject()
            return
        super().closeEvent(event)

    def _progress(self, done: int, total: int, name: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.status.setText(f"Tracking: frame {name} ({done} / {total})")

    def _done(self, text: str) -> None:
        self.progress.hide()
        self.status.setText(text)
        self.adjustSize()
        self.start_button.setEnabled(True)
        self.close_button.setText("Close")

    def _finished(self, kind: str, report: object) -> None:
        if kind != "track":
            return
        written, empty = len(getattr(report, "written", [])), len(getattr(report, "empty", []))
        tracks = getattr(report, "tracks", {})
        names = ", ".join(f"{i} {label}" for i, label in tracks.items())
        self._done(f"Done: {len(tracks)} track(s) ({names}); {written} frames written, "
                   f"{empty} with no track visible. Review them with Y / Shift+Del.")  # fmt: skip

    def _failed(self, text: str) -> None:
        self._done(text)

    def _cancelled(self) -> None:
        self._done("Cancelled: the frames written so far are kept; Track goes on from there.")
