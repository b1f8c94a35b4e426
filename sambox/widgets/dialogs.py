"""Settings, keyboard-shortcut help and error dialogs."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from sambox.keymap import BINDINGS
from sambox.settings import AppSettings
from samic_core.config import CACHE_DTYPES, DEFAULT_CACHE_MAX_GB, DEVICES, MODEL_TYPE_CHOICES
from samic_core.sam.registry import MODELS


def show_error(parent: QWidget, text: str, title: str = "SAMBOX") -> QMessageBox:
    """A non-blocking error box (the app keeps running and workers keep reporting)."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def _path_row(edit: QLineEdit, pick: QPushButton) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(edit, 1)
    layout.addWidget(pick)
    return row


class SettingsDialog(QDialog):
    """SAM checkpoint, engine and model type, device, embedding cache (folder, precision, size),
    autosave."""

    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumWidth(560)
        self.checkpoint = QLineEdit(str(settings.checkpoint or ""))
        self.checkpoint.setPlaceholderText("the downloaded official checkpoint")
        pick_ckpt = QPushButton("Browse…")
        self.model_type = QComboBox()  # the engine (SAM 1 / SAM 2.1) and its size
        for name in MODEL_TYPE_CHOICES:
            spec = MODELS.get(name)
            label = "auto: the checkpoint file says" if spec is None else spec.label
            self.model_type.addItem(label, name)
        self.model_type.setCurrentIndex(max(0, self.model_type.findData(settings.model_type)))
        self.model_type.setToolTip(
            "SAM 2.1 hiera_t encodes a new image several times faster than SAM vit_b on a CPU; "
            "clicks, boxes, candidates, corrections and SAMIC work the same with either engine"
        )
        self.device = QComboBox()
        self.device.addItems(DEVICES)
        self.device.setCurrentText(settings.device)
        self.cache_dir = QLineEdit(str(settings.cache_dir or ""))
        self.cache_dir.setPlaceholderText("the user cache folder")
        pick_cache = QPushButton("Browse…")
        self.cache_dtype = QComboBox()
        self.cache_dtype.addItems(CACHE_DTYPES)
        self.cache_dtype.setCurrentText(settings.cache_dtype)
        self.cache_max_gb = QDoubleSpinBox()  # 0 shows the default: the settings keep None
        self.cache_max_gb.setRange(0.0, 100_000.0)
        self.cache_max_gb.setDecimals(2)
        self.cache_max_gb.setSuffix(" GiB")
        self.cache_max_gb.setSpecialValueText(
            f"default (SAMIC_CACHE_MAX_GB or {DEFAULT_CACHE_MAX_GB:g} GiB)"
        )
        self.cache_max_gb.setValue(settings.cache_max_gb or 0.0)
        self._cache_shown = (self.cache_max_gb.value(), settings.cache_max_gb)  # (shown, stored)
        self.cache_max_gb.setToolTip(
            "The least recently used embeddings are deleted beyond this size"
        )
        self.autosave = QCheckBox("Save automatically when switching images or closing")
        self.autosave.setChecked(settings.autosave)
        form = QFormLayout()
        form.addRow("SAM / SAM 2.1 checkpoint", _path_row(self.checkpoint, pick_ckpt))
        form.addRow("Engine and model", self.model_type)
        form.addRow("Device", self.device)
        form.addRow("Embedding cache", _path_row(self.cache_dir, pick_cache))
        form.addRow("Cache precision", self.cache_dtype)
        form.addRow("Cache size limit", self.cache_max_gb)
        form.addRow("", self.autosave)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        pick_ckpt.clicked.connect(self._pick_checkpoint)
        pick_cache.clicked.connect(self._pick_cache)

    def _pick_checkpoint(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "SAM checkpoint", self.checkpoint.text(), "PyTorch checkpoints (*.pth *.pt)"
        )
        if path:
            self.checkpoint.setText(path)

    def _pick_cache(self) -> None:
        path = QFileDialog.getExistingDirectory(
            self, "Embedding cache folder", self.cache_dir.text()
        )
        if path:
            self.cache_dir.setText(path)

    def apply(self, settings: AppSettings) -> bool:
        """Store the choices; True when the engine must be reloaded."""
        before = (
            settings.checkpoint,
            settings.model_type,
            settings.device,
            settings.cache_dir,
            settings.cache_dtype,
            settings.cache_max_gb,
        )
        settings.checkpoint = (
            Path(self.checkpoint.text()) if self.checkpoint.text().strip() else None
        )
        settings.model_type = self.model_type.currentData()
        settings.device = self.device.currentText()
        settings.cache_dir = Path(self.cache_dir.text()) if self.cache_dir.text().strip() else None
        settings.cache_dtype = self.cache_dtype.currentText()
        shown, stored = self._cache_shown  # untouched: the stored value stays as it was
        value = self.cache_max_gb.value()
        settings.cache_max_gb = stored if value == shown else (value or None)
        settings.autosave = self.autosave.isChecked()
        after = (
            settings.checkpoint,
            settings.model_type,
            settings.device,
            settings.cache_dir,
            settings.cache_dtype,
            settings.cache_max_gb,
        )
        return before != after


class ShortcutsDialog(QDialog):
    """Every key and mouse binding, grouped, from the keymap table (F1 or ?)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard and mouse shortcuts")
        self.resize(640, 860)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Keys", "Action", "Notes"])
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setShowGrid(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        group = None
        for b in BINDINGS:
            if b.group != group:
                group = b.group
                self._row(f"— {group} —", "", "", bold=True)
            self._row("  /  ".join(b.keys), b.text.replace("&", "").rstrip("…"), b.help)
        self.table.resizeColumnsToContents()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)

    def _row(self, keys: str, action: str, notes: str, bold: bool = False) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        for col, text in enumerate((keys, action, notes)):
            item = QTableWidgetItem(text)
            if bold:
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            self.table.setItem(row, col, item)
