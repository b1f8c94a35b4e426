"""Export and import of the open folder, through the transfer service.

Before a job the edits on screen are saved (the files on disk are what gets exported, and an
import must not be overwritten by a later autosave of stale state); after an import that
wrote something the folder is reopened so the imported objects and statuses show. The dialogs
talk to this controller exactly as they would to the service (same signals and methods).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from sambox.controllers.protocols import TransferServiceLike
from sambox.controllers.session import Session
from sambox.model.single_job import SingleJob


class TransferController(QObject):
    progress = Signal(int, int, str)  # done, total, image name
    finished = Signal(object)  # ExportReport | ImportReport (after an import's reload)
    failed = Signal(str)
    cancelled = Signal()
    message = Signal(str)  # why a job cannot start now, in plain words

    def __init__(
        self, session: Session, transfer: TransferServiceLike, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.session, self.project, self.service = session, session.project, transfer
        # the job this controller started: "export" or "import"
        self._job: SingleJob[str] = SingleJob(cancel=lambda _: self.service.cancel())
        transfer.progress.connect(self._job.relay(self.progress.emit))
        transfer.failed.connect(self._job.ending(lambda _kind, text: self.failed.emit(text)))
        transfer.cancelled.connect(self._job.ending(lambda _kind: self.cancelled.emit()))
        transfer.finished.connect(self._job.ending(self._finished))

    @property
    def busy(self) -> bool:
        return self.service.busy

    def prepare(self) -> bool:
        """Whether an export or import may start: a folder is open, nothing else runs, and the
        open image's edits are saved (False: `message` said why, or the user cancelled)."""
        if self.project.folder is None:
            self.message.emit("Open a folder first.")
            return False
        if self.service.busy:
            self.message.emit("An export or import is still running.")
            return False
        return self.session.flush()

    def start_export(
        self, folder: Path, fmt: str, out: Path, include_unreviewed: bool, overwrite: bool
    ) -> None:
        self.service.start_export(folder, fmt, out, include_unreviewed, overwrite)
        self._job.begin("export")

    def start_import(self, src: Path, fmt: str, folder: Path, overwrite: bool) -> None:
        self.service.start_import(src, fmt, folder, overwrite)
        self._job.begin("import")

    def cancel(self) -> None:
        self._job.cancel()

    def _finished(self, kind: str, report: object) -> None:
        if kind == "import" and getattr(report, "images", None) and self.project.folder:
            current = self.session.current  # show the imported objects and statuses
            self.session.open_folder(self.project.folder)
            if current is not None:
                self.session.open_image(current)
        self.finished.emit(report)
