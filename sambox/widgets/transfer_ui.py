"""File > Export… and File > Import… in the main window (installed by the composition root)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject

from sambox.widgets.transfer_dialogs import ExportDialog, ImportDialog


class TransferUI(QObject):
    """Opens the export / import dialogs on the open folder; saves first, reloads after import."""

    def __init__(self, window: Any, transfer: Any) -> None:
        """window: the MainWindow; transfer: a TransferService."""
        super().__init__(window)
        self.window, self.transfer = window, transfer
        self.session, self.project = window.session, window.project
        self.dialog: ExportDialog | ImportDialog | None = None
        window.actions["export"].triggered.connect(self.open_export)
        window.actions["import_labels"].triggered.connect(self.open_import)
        transfer.finished.connect(self._finished)

    def _folder_ready(self) -> bool:
        if self.project.folder is None:
            self.window.show_message("Open a folder first.")
            return False
        if self.transfer.busy:
            self.window.show_message("An export or import is still running.")
            return False
        return self.session.flush()  # the files on disk must hold the edits on screen

    def open_export(self) -> ExportDialog | None:
        if not self._folder_ready():
            return None
        self.dialog = ExportDialog(self.transfer, self.project.folder, self.window)
        self.dialog.open()
        return self.dialog

    def open_import(self) -> ImportDialog | None:
        if not self._folder_ready():
            return None
        self.dialog = ImportDialog(self.transfer, self.project.folder, self.window)
        self.dialog.open()
        return self.dialog

    def _finished(self, report: Any) -> None:
        if not isinstance(self.dialog, ImportDialog) or not report.images:
            return
        current = self.session.current  # show the imported objects and statuses
        self.session.open_folder(self.project.folder)
        if current is not None:
            self.session.open_image(current)
