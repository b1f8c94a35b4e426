"""A bar above the canvas that says, in plain words, why SAM is not ready and what to do."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class ModelBanner(QFrame):
    download_requested = Signal()
    choose_requested = Signal()
    settings_requested = Signal()
    cancel_requested = Signal()
    retry_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelBanner")
        self.setStyleSheet(
            "#modelBanner { background:#fff4d6; border:1px solid #e0b84c; border-radius:4px; }"
            "#modelBanner QLabel { color:#4a3b00; }"
        )
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.download = QPushButton("Download SAM ViT-B (375 MB)")
        self.choose = QPushButton("Choose checkpoint file…")
        self.settings = QPushButton("Settings…")
        self.retry = QPushButton("Retry")
        self.retry.setToolTip("Load the SAM checkpoint again")
        self.cancel = QPushButton("Cancel download")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(self.text)
        row = QHBoxLayout()
        for w in (
            self.progress,
            self.cancel,
            self.retry,
            self.download,
            self.choose,
            self.settings,
        ):
            row.addWidget(w)
        row.addStretch(1)
        layout.addLayout(row)
        self.download.clicked.connect(self.download_requested.emit)
        self.choose.clicked.connect(self.choose_requested.emit)
        self.settings.clicked.connect(self.settings_requested.emit)
        self.cancel.clicked.connect(self.cancel_requested.emit)
        self.retry.clicked.connect(self.retry_requested.emit)
        self.show_message("")

    def show_message(
        self,
        text: str,
        offer_download: bool = True,
        offer_retry: bool = False,
        download_label: str | None = None,
    ) -> None:
        """Show `text` with the download / choose buttons; empty text hides the banner.

        offer_retry: also a Retry button (after a load that failed, e.g. for a passing reason).
        download_label: what the download button fetches (the settings' model type's file).
        """
        self.text.setText(text)
        if download_label is not None:
            self.download.setText(download_label)
        self.progress.hide()
        self.cancel.hide()
        self.retry.setVisible(bool(text) and offer_retry)
        for b in (self.download, self.choose, self.settings):
            b.setVisible(bool(text))
        self.download.setVisible(bool(text) and offer_download)
        self.setVisible(bool(text))

    def show_progress(self, done: int, total: int) -> None:
        self.setVisible(True)
        self.download.hide()
        self.choose.hide()
        self.retry.hide()
        self.progress.show()
        self.cancel.show()
        if total > 0:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * done / total))
            self.progress.setFormat(f"{done / 2**20:.0f} / {total / 2**20:.0f} MB")
        else:
            self.progress.setRange(0, 0)
        self.text.setText("Downloading the SAM checkpoint… you can keep browsing images.")
