"""SAM's state in the status bar: loading steps, the on-screen image's encoding, folder embedding.

Installed by the composition root on a finished MainWindow. It owns the status-bar widgets that
say what SAM is doing, so the user never looks at a frozen screen without knowing why:
- while the checkpoint loads: a busy bar and the step ("Starting PyTorch…", "Reading …");
- when the image on screen has no cached embedding: "Encoding NAME" with its progress (clicks
  are answered when it is done; background embedding waits meanwhile);
- the folder's "Embedding 3 / 8" bar is wide enough for its text.
Messages that only held while SAM was not ready are replaced once it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QProgressBar

if TYPE_CHECKING:
    from sambox.widgets.main_window import MainWindow

NOT_READY_PREFIX = "No SAM model is loaded yet"
EMBED_FORMAT = "Embedding %v / %m"


def fit_text(bar: QProgressBar, longest: str) -> None:
    """Make `bar` wide enough to show `longest` (its text is drawn inside or beside the bar)."""
    width = bar.fontMetrics().horizontalAdvance(longest) + 48
    bar.setMinimumWidth(width)
    bar.setMaximumWidth(max(width, bar.maximumWidth()))


class SamStatus(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        service, session = window.service, window.session
        self.load_progress = QProgressBar()
        self.load_progress.setRange(0, 0)  # busy: torch.load gives no finer progress
        self.load_progress.setTextVisible(False)
        self.load_progress.setMaximumWidth(120)
        self.load_progress.hide()
        self.encode_progress = QProgressBar()
        self.encode_progress.hide()
        fit_text(self.encode_progress, "Encoding this image 100%")
        fit_text(window.embed_progress, "Embedding 8888 / 8888")
        bar = window.statusBar()
        bar.addPermanentWidget(self.encode_progress)
        bar.addPermanentWidget(self.load_progress)
        service.engine_loading.connect(self._loading)
        service.engine_loading_step.connect(self._loading_step)
        service.embedding_progress.connect(self._encoding)
        service.embedding_ready.connect(self._embedded)
        service.embedding_failed.connect(lambda path, _msg: self._embedded(path))
        session.engine_state.connect(self._engine_state)

    # ---- loading -----------------------------------------------------------------------------
    def _loading(self, checkpoint: str) -> None:
        self.load_progress.show()
        self.window.model_label.setText(f"SAM: loading {Path(checkpoint).name}…")

    def _loading_step(self, text: str) -> None:
        self.load_progress.show()
        self.window.model_label.setText(f"SAM: {text}")

    def _engine_state(self, state: str, text: str) -> None:
        if state == "loading":
            self.load_progress.show()
            return
        self.load_progress.hide()
        if state == "ready" and self.window.status_text.text().startswith(NOT_READY_PREFIX):
            self.window.show_message(f"SAM is ready ({text}): click on the image to segment.")

    # ---- the image on screen -----------------------------------------------------------------
    def _encoding(self, path: str, done: int, total: int) -> None:
        if Path(path) != self.window.service.screen_image:
            return
        name = Path(path).name
        self.encode_progress.setRange(0, total)
        self.encode_progress.setValue(done)
        self.encode_progress.setFormat("Encoding this image %p%")
        self.encode_progress.setToolTip(
            f"{name} has no cached embedding yet: SAM encodes it first (background embedding "
            "of other images waits). Clicks are answered as soon as it is done."
        )
        self.encode_progress.show()
        if total == 0:
            self.window.show_message(f"Encoding {name} for SAM (first time for this image)…")

    def _embedded(self, path: str, _cached: bool = True) -> None:
        if Path(path) == self.window.service.screen_image:
            if self.encode_progress.isVisible():
                self.window.show_message(f"{Path(path).name} is ready: click to segment.")
            self.encode_progress.hide()
