"""Class names (annotations/classes.json): pick with a click or keys 1-9; add, rename, remove.

Each class shows its colour swatch (the colour its objects are drawn in); double-click a class
or press Colour… to choose another (QColorDialog), saved in annotations/class_colors.json.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QColorDialog,
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
    color_requested = Signal(str, str)  # class name, "#rrggbb"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        add, rename, remove = QPushButton("Add…"), QPushButton("Rename…"), QPushButton("Remove")
        colour = QPushButton("Colour…")
        colour.setToolTip("Choose the colour of the selected class (or double-click it)")
        buttons = QHBoxLayout()
        for b in (add, rename, remove, colour):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self._classes: list[str] = []
        self._colors: dict[str, str] = {}
        self.list.itemClicked.connect(
            lambda item: self.class_chosen.emit(item.data(Qt.ItemDataRole.UserRole))
        )
        add.clicked.connect(self._ask_add)
        rename.clicked.connect(self._ask_rename)
        remove.clicked.connect(self._remove)
        colour.clicked.connect(lambda: self.choose_color(self._selected()))
        self.list.itemDoubleClicked.connect(
            lambda item: self.choose_color(item.data(Qt.ItemDataRole.UserRole))
        )

    def set_classes(self, classes: list[str], colors: dict[str, str] | None = None) -> None:
        """The class names in order, with their '#rrggbb' colours (swatches)."""
        self._classes = list(classes)
        self._colors = dict(colors or {})
        self.list.clear()
        for i, name in enumerate(classes):
            key = f"{i + 1}" if i < 9 else "  "
            item = QListWidgetItem(f"{key}   {name}")
            item.setData(Qt.ItemDataRole.UserRole, name)
            if name in self._colors:
                swatch = QPixmap(14, 14)
                swatch.fill(QColor(self._colors[name]))
                item.setIcon(QIcon(swatch))
                item.setToolTip(f"{name}: {self._colors[name]} (double-click to change)")
            self.list.addItem(item)

    def color_of(self, name: str) -> str | None:
        return self._colors.get(name)

    def choose_color(self, name: str | None) -> None:
        if name is None:
            return
        start = QColor(self._colors.get(name, "#ffffff"))
        chosen = QColorDialog.getColor(start, self, f"Colour of {name!r}")
        if chosen.isValid():
            self.color_requested.emit(name, chosen.name())

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
