"""Setting SAM up from the main window: the banner above the canvas, the checkpoint download,
choosing a checkpoint file, and the status bar's "SAM: …" label.

Made by the MainWindow on its finished widgets. When no checkpoint is set up (or loading it
failed) the banner says so in plain words and offers the way out: download the official vit_b
checkpoint (through the downloader service, with progress and cancel), choose a file, open the
settings, or retry. A finished download or a chosen file becomes the settings' checkpoint and
the engine starts again.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog

from sambox.controllers.protocols import DownloaderLike
from samic_core.config import download_type
from samic_core.sam.registry import MODELS

if TYPE_CHECKING:
    from sambox.widgets.main_window import MainWindow


class ModelSetup(QObject):
    """The banner's buttons, the download's progress and result, and SAM's state label."""

    def __init__(self, window: MainWindow, downloader: DownloaderLike | None) -> None:
        """window: the MainWindow (banner, model_label, settings, session); downloader: the
        checkpoint download service, or None when downloads are not offered."""
        super().__init__(window)
        self.window, self.downloader = window, downloader
        self.settings, self.session = window.settings, window.session
        banner = window.banner
        banner.choose_requested.connect(self.choose_checkpoint)
        banner.settings_requested.connect(window.open_settings)
        banner.retry_requested.connect(self.session.start_engine)
        self.session.engine_state.connect(self._engine_state)
        if downloader is not None:
            banner.download_requested.connect(self.start_download)
            banner.cancel_requested.connect(downloader.cancel)
            downloader.progress.connect(banner.show_progress)
            downloader.finished.connect(self._downloaded)
            downloader.failed.connect(self._download_failed)
            downloader.cancelled.connect(self.session.start_engine)

    def _engine_state(self, state: str, text: str) -> None:
        self.window.model_label.setText(text if state == "ready" else f"SAM: {state}")
        if state in ("missing", "failed"):
            self.window.banner.show_message(
                text, offer_download=self.downloader is not None, offer_retry=state == "failed",
                download_label=MODELS[download_type(self.settings.model_type)].download_label,
            )  # fmt: skip
        else:
            self.window.banner.show_message("")

    def choose_checkpoint(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.window, "SAM checkpoint", "", "Checkpoints (*.pth *.pt)"
        )
        if path:  # the file says which engine and size it is
            self.settings.checkpoint = Path(path)
            self.settings.model_type = "auto"
            self.session.start_engine()

    def start_download(self) -> None:
        if self.downloader is None:
            return
        self.downloader.start(download_type(self.settings.model_type))
        self.window.banner.show_progress(0, 0)

    def _downloaded(self, path: str) -> None:
        self.settings.checkpoint = Path(path)
        self.session.start_engine()

    def _download_failed(self, text: str) -> None:
        self.window.banner.show_message(
            f"{text}\nYou can keep browsing images; choose a checkpoint file you already have.",
        )
        self.window.report_error(text)
