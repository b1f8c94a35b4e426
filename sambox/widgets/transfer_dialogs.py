"""File > Export and File > Import: pick format and place, then run in the transfer worker.

The dialogs only collect values and show progress; the work is samic_core.export's
export_folder / import_folder (the functions behind `samic export` / `samic import`), run by
a TransferService-like object injected by the composition root.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
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

from sambox.controllers.protocols import TransferJobs
from samic_core.export import export_descriptions, import_descriptions  # beside the writers
from samic_core.text import counted, verb


class _TransferDialog(QDialog):
    """Shared layout: a form, a progress bar with a status line, Run / Cancel / Close."""

    run_label = "Run"

    def __init__(self, transfer: TransferJobs, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(600)
        self.transfer = transfer
        self.form = QFormLayout()
        self.bar = QProgressBar()
        self.bar.setVisible(False)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox()
        self.run_button = self.buttons.addButton(
            self.run_label, QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.cancel_button.setEnabled(False)
        self.run_button.clicked.connect(self._start)
        self.cancel_button.clicked.connect(self.transfer.cancel)
        self.close_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self._active = False
        transfer.progress.connect(self._mine(self._progress))
        transfer.finished.connect(self._mine(self._finished))
        transfer.failed.connect(self._mine(self._failed))
        transfer.cancelled.connect(self._mine(self._cancelled))
        self.report: Any = None

    def _path_row(self, edit: QLineEdit, pick_dir: bool, caption: str) -> QWidget:
        row = QWidget()
        lay = QHBoxLayout(row)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(edit, 1)
        button = QPushButton("Browse…")

        def browse() -> None:
            if pick_dir:
                chosen = QFileDialog.getExistingDirectory(self, caption, edit.text())
            else:
                chosen, _ = QFileDialog.getOpenFileName(self, caption, edit.text(), "JSON (*.json)")
            if chosen:
                edit.setText(chosen)

        button.clicked.connect(browse)
        lay.addWidget(button)
        return row

    def _start(self) -> None:
        problem = self.problem()
        if problem:
            self.status.setText(problem)
            return
        self.report = None
        self.bar.setRange(0, 0)
        self.bar.setVisible(True)
        self.run_button.setEnabled(False)
        self.close_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.status.setText("Working…")
        self._active = True
        try:
            self.launch()
        except RuntimeError as e:  # another dialog's job is still running
            self._failed(str(e))

    def _mine(self, handler: Callable[..., None]) -> Callable[..., None]:
        """`handler`, called only while this dialog's own job runs (the service is shared)."""

        def call(*args: Any) -> None:
            if self._active:
                handler(*args)

        return call

    def _progress(self, done: int, total: int, name: str) -> None:
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)
        self.status.setText(f"{done} / {total}: {name}")

    def _idle(self) -> None:
        self._active = False
        self.run_button.setEnabled(True)
        self.close_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def _finished(self, report: Any) -> None:
        self._idle()
        self.report = report
        self.status.setText(self.describe(report))

    def _failed(self, message: str) -> None:
        self._idle()
        self.bar.setVisible(False)
        self.status.setText(f"{message}\nNothing was written.")

    def _cancelled(self) -> None:
        self._idle()
        self.bar.setVisible(False)
        self.status.setText(self.cancelled_text)

    def reject(self) -> None:
        if self.transfer.busy:  # closing means cancel; the worker cleans up
            self.transfer.cancel()
            return
        super().reject()

    # overridden by each dialog
    cancelled_text = "Cancelled."

    def problem(self) -> str:
        return ""

    def launch(self) -> None:
        raise NotImplementedError

    def describe(self, report: Any) -> str:
        return "Done."


class ExportDialog(_TransferDialog):
    """Export the open folder's annotations to a new folder in a training format."""

    run_label = "Export"
    cancelled_text = "Export cancelled; nothing was written."

    def __init__(self, transfer: TransferJobs, folder: Path, parent: QWidget | None = None) -> None:
        super().__init__(transfer, "Export annotations", parent)
        self.folder = Path(folder)
        self.format = QComboBox()
        for key, text in export_descriptions().items():
            self.format.addItem(f"{key} — {text}", key)
        self.out = QLineEdit(str(self.folder.parent / f"{self.folder.name}_export"))
        self.include_unreviewed = QCheckBox("Include predicted objects nobody reviewed yet")
        self.overwrite = QCheckBox("Replace the output folder if it is not empty")
        self.form.addRow("Folder", QLabel(str(self.folder)))
        self.form.addRow("Format", self.format)
        self.form.addRow("Output folder", self._path_row(self.out, True, "Export into"))
        self.form.addRow("", self.include_unreviewed)
        self.form.addRow("", self.overwrite)
        self.format.currentIndexChanged.connect(self._suggest_out)
        self._suggest_out()

    def _suggest_out(self) -> None:
        text = self.out.text()
        base = str(self.folder.parent / f"{self.folder.name}_")
        if not text or text.startswith(base):
            self.out.setText(f"{base}{self.format.currentData()}")

    def problem(self) -> str:
        return "" if self.out.text().strip() else "Choose an output folder."

    def launch(self) -> None:
        self.transfer.start_export(
            self.folder,
            self.format.currentData(),
            Path(self.out.text().strip()),
            self.include_unreviewed.isChecked(),
            self.overwrite.isChecked(),
        )

    def describe(self, report: Any) -> str:
        images, objects = counted(report.images, "image"), counted(report.objects, "object")
        lines = [f"Exported {images}, {objects} to {report.out}."]
        if report.excluded_unreviewed:
            left_out = counted(report.excluded_unreviewed, "unreviewed predicted object")
            lines.append(f"{left_out} left out.")
        if report.skipped_images:
            lines.append(
                f"Skipped (only unreviewed predictions): {', '.join(report.skipped_images)}"
            )
        if report.unannotated_images:
            n = report.unannotated_images
            lines.append(f"{counted(n, 'image')} {verb(n, 'has', 'have')} no annotation yet.")
        if report.rle_objects:
            lines.append(f"{counted(report.rle_objects, 'object')} with holes written as RLE.")
        return "\n".join(lines)


class ImportDialog(_TransferDialog):
    """Bring COCO or LabelMe labels into the open folder as manual objects."""

    run_label = "Import"
    cancelled_text = "Import cancelled; images already imported were kept."

    def __init__(self, transfer: TransferJobs, folder: Path, parent: QWidget | None = None) -> None:
        super().__init__(transfer, "Import annotations", parent)
        self.folder = Path(folder)
        self.format = QComboBox()
        for key, text in import_descriptions().items():
            self.format.addItem(f"{key} — {text}", key)
        self.src = QLineEdit("")
        self.src.setPlaceholderText("COCO .json file, or a folder of LabelMe .json files")
        self.overwrite = QCheckBox("Replace existing annotations of the same images")
        self.form.addRow("Into folder", QLabel(str(self.folder)))
        self.form.addRow("Format", self.format)
        self.src_row = QWidget()
        row = QHBoxLayout(self.src_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self._path_row(self.src, False, "Import from file"), 1)
        pick_dir = QPushButton("Folder…")
        pick_dir.clicked.connect(self._pick_dir)
        row.addWidget(pick_dir)
        self.form.addRow("Source", self.src_row)
        self.form.addRow("", self.overwrite)

    def _pick_dir(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Import from folder", self.src.text())
        if chosen:
            self.src.setText(chosen)

    def problem(self) -> str:
        src = self.src.text().strip()
        if not src:
            return "Choose the file or folder to import."
        if not Path(src).exists():
            return f"{src}: does not exist."
        return ""

    def launch(self) -> None:
        self.transfer.start_import(
            Path(self.src.text().strip()),
            self.format.currentData(),
            self.folder,
            self.overwrite.isChecked(),
        )

    def describe(self, report: Any) -> str:
        objects, images = counted(report.objects, "object"), counted(report.images, "image")
        lines = [f"Imported {objects} into {images}."]
        if report.skipped_existing:
            lines.append(
                "Not overwritten (already annotated): " + ", ".join(report.skipped_existing)
            )
        lines.extend(report.warnings[:10])
        return "\n".join(lines)
