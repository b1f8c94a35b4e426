"""The folder's trained SAMIC models: date, classes and final losses; choose the active one.

The active model (highlighted, in bold) is the one Suggest Prompts and Auto-annotate use. Each
model is two lines of text, so the list stays readable in a narrow dock. Files of the models
folder that cannot be read are listed after the models, greyed out and not selectable, with
the reason in their tooltip.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sambox.model.samic_info import ModelInfo, UnreadableModel


def _loss(v: float | None) -> str:
    return "—" if v is None else f"{v:.3g}"


def describe_unreadable(u: UnreadableModel, limit: int = 120) -> str:
    """Two lines: the file's name, and why it cannot be used (shortened; the tooltip has it)."""
    reason = u.reason if len(u.reason) <= limit else u.reason[: limit - 1] + "…"
    return f"{u.name}  ·  cannot be read\n{reason}"


def describe(m: ModelInfo) -> str:
    """Two lines: name and date; classes, the epoch its weights are from, and their losses."""
    return (
        f"{m.name}  ·  {m.created_local}\n"
        f"{', '.join(m.classes)}  ·  epoch {m.meta.best_epoch or m.meta.epochs_run}  ·  loss "
        f"{_loss(m.meta.train_loss)} train / {_loss(m.meta.val_loss)} val"
    )


class ModelsPanel(QWidget):
    model_chosen = Signal(object)  # Path of the model to use
    train_requested = Signal()
    annotate_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setWordWrap(True)
        self.list.setAlternatingRowColors(True)
        self.empty = QLabel("No trained model yet: annotate a few images, then Train SAMIC.")
        self.empty.setWordWrap(True)
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #9b1c1c;")
        self.problems.hide()
        self.train_button = QPushButton("Train SAMIC…")
        self.annotate_button = QPushButton("Auto-annotate…")
        buttons = QHBoxLayout()
        buttons.addWidget(self.train_button)
        buttons.addWidget(self.annotate_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)
        layout.addWidget(self.problems)
        layout.addLayout(buttons)
        self._infos: list[ModelInfo] = []
        self._active: Path | None = None
        self.list.itemClicked.connect(self._clicked)
        self.train_button.clicked.connect(self.train_requested.emit)
        self.annotate_button.clicked.connect(self.annotate_requested.emit)

    @property
    def models(self) -> list[ModelInfo]:
        return list(self._infos)

    @property
    def active(self) -> ModelInfo | None:
        return next((m for m in self._infos if m.path == self._active), None)

    def set_models(
        self, infos: list[ModelInfo], unreadable: Sequence[UnreadableModel] = ()
    ) -> None:
        """Show `infos` (newest first), then the `unreadable` files greyed out; the active model
        stays if still there, else the newest."""
        self._infos = list(infos)
        self.list.clear()
        for m in infos:
            item = QListWidgetItem(describe(m))
            meta = m.meta
            item.setToolTip(
                f"{m.path}\nbest epoch {meta.best_epoch} of {meta.epochs_run}, input "
                f"{meta.image_size}×{meta.image_size}, {meta.backbone} "
                f"({meta.backbone_weights} weights)"
            )
            item.setData(Qt.ItemDataRole.UserRole, str(m.path))
            self.list.addItem(item)
        for u in unreadable:
            item = QListWidgetItem(describe_unreadable(u))
            item.setToolTip(f"{u.path}\ncannot be read: {u.reason}")
            item.setFlags(Qt.ItemFlag.NoItemFlags)  # greyed out, never chosen
            self.list.addItem(item)
        self.empty.setVisible(not infos and not unreadable)
        n = len(unreadable)
        self.problems.setText(
            f"{n} model file{'s' if n > 1 else ''} cannot be read (greyed out above; hover "
            f"for why)."
            if n
            else ""
        )
        self.problems.setVisible(bool(n))
        self.annotate_button.setEnabled(bool(infos))
        paths = [m.path for m in infos]
        self.set_active(self._active if self._active in paths else (paths[0] if paths else None))

    def set_active(self, path: Path | None) -> None:
        changed = path != self._active
        self._active = path
        for i in range(self.list.count()):
            item = self.list.item(i)
            data = item.data(Qt.ItemDataRole.UserRole)
            is_active = data is not None and Path(data) == path
            font = QFont(item.font())
            font.setBold(is_active)
            item.setFont(font)
            if is_active:
                self.list.setCurrentItem(item)
        if changed:
            self.model_chosen.emit(path)

    def _clicked(self, item: QListWidgetItem) -> None:
        data = item.data(Qt.ItemDataRole.UserRole)
        if data is not None:  # an unreadable file's entry carries no model
            self.set_active(Path(data))
