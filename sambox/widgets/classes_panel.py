"""Class names (annotations/classes.json): pick with a click or keys 1-9; add, rename, remove."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class ClassesPanel(QWidget):
    class_chosen = Signal(str)
    add_requested = Signal(str)
    rename_requested = Signal(str, str)  # old, new
    remove_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        add, rename, remove = QPushButton("Add…"), QPushButton("Rename…"), QPushButton("Remove")
        buttons = QHBoxLayout()
        for b in (add, rename, remove):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self._classes: list[str] = []
        self.list.itemClicked.connect(
            lambda item: self.class_chosen.emit(item.data(Qt.ItemDataRole.UserRole))
        )
        add.clicked.connect(self._ask_add)
        rename.clicked.connect(self._ask_rename)
        remove.clicked.connect(self._remove)

    def set_classes(self, classes: list[str]) -> None:
        self._classes = list(classes)
        self.list.clear()
        for i, name in enumerate(classes):
            key = f"{i + 1}" if i < 9 else "  "
            item = QListWidgetItem(f"{key}   {name}")
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.list.addItem(item)

    def class_for_key(self, index: int) -> str | None:
        """The class selected by number key `index` (1-based)."""
        return self._classes[index - 1] if 0 < index <= len(self._classes) else None

    def set_active(self, label: str) -> None:
        for i in range(self.list.count()):
            item = self.list.item(i)
            active = item.data(Qt.ItemDataRole.UserRole) == label
            item.setSelected(active)
            font = item.font()
            font.setBold(active)
            item.setFont(font)

    def _selected(self) -> str | None:
        items = self.list.selectedItems()
        return items[0].data(Qt.ItemDataRole.UserRole) if items else None

    def _ask_add(self) -> None:
        name, ok = QInputDialog.getText(self, "Add class", "Name of the new class:")
        if ok and name.strip():
            self.add_requested.emit(name.strip())

    def _ask_rename(self) -> None:
        old = self._selected()
        if old is None:
            return
        new, ok = QInputDialog.getText(self, "Rename class", f"New name for {old!r}:", text=old)
        if ok and new.strip() and new.strip() != old:
            self.rename_requested.emit(old, new.strip())

    def _remove(self) -> None:
        name = self._selected()
        if name is not None:
            self.remove_requested.emit(name)
