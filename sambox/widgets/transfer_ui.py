"""File > Export… and File > Import… in the main window (installed by the composition root)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from sambox.controllers.transfer import TransferController
from sambox.widgets.transfer_dialogs import ExportDialog, ImportDialog

if TYPE_CHECKING:
    from sambox.widgets.main_window import MainWindow


class TransferUI(QObject):
    """Opens the export / import dialogs on the open folder; the controller does the rest."""

    def __init__(self, window: MainWindow, transfer: TransferController) -> None:
        """window: the MainWindow; transfer: the TransferController of its session."""
        super().__init__(window)
        self.window, self.transfer = window, transfer
        self.project = window.project
        self.dialog: ExportDialog | ImportDialog | None = None
        window.actions["export"].triggered.connect(self.open_export)
        window.actions["import_labels"].triggered.connect(self.open_import)
        transfer.message.connect(window.show_message)

    def open_export(self) -> ExportDialog | None:
        folder = self.project.folder
        if not self.transfer.prepare() or folder is None:  # prepare() says why
            return None
        self.dialog = ExportDialog(self.transfer, folder, self.window)
        self.dialog.open()
        return self.dialog

    def open_import(self) -> ImportDialog | None:
        folder = self.project.folder
        if not self.transfer.prepare() or folder is None:  # prepare() says why
            return None
        self.dialog = ImportDialog(self.transfer, folder, self.window)
        self.dialog.open()
        return self.dialog
