"""The folder's images with their annotation status, embedding state and a filter."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from sambox.model.status import ImageStatus

STATUS_COLOURS = {
    ImageStatus.NOT_STARTED: QColor(150, 150, 150),
    ImageStatus.IN_PROGRESS: QColor(230, 160, 30),
    ImageStatus.DONE: QColor(60, 170, 90),
    ImageStatus.PREDICTED: QColor(80, 140, 230),
    ImageStatus.ERROR: QColor(220, 60, 60),
}
ALL = "All images"


class ImageList(QWidget):
    image_activated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit(placeholderText="Filter by name…")
        self.search.setClearButtonEnabled(True)
        self.status_filter = QComboBox()
        self.status_filter.addItem(ALL, None)
        for s in ImageStatus:
            self.status_filter.addItem(s.label.capitalize(), s)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Image", "Status", "Emb."])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.tree.header()
        header.setStretchLastSection(False)  # it kept 'Emb.' 100 px wide: a sideways scrollbar
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.headerItem().setToolTip(2, "SAM embedding cached: clicks answer at once")
        self.summary = QLabel()
        filters = QHBoxLayout()
        filters.addWidget(self.search, 1)
        filters.addWidget(self.status_filter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(filters)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.summary)
        self._items: dict[str, QTreeWidgetItem] = {}
        self.search.textChanged.connect(self._apply_filter)
        self.status_filter.currentIndexChanged.connect(self._apply_filter)
        self.tree.itemClicked.connect(lambda item, _col: self.image_activated.emit(item.text(0)))

    def set_images(self, statuses: dict[str, ImageStatus]) -> None:
        self.tree.clear()
        self._items = {}
        for name, status in statuses.items():
            item = QTreeWidgetItem([name, "", ""])
            self.tree.addTopLevelItem(item)
            self._items[name] = item
            self.set_status(name, status)
        self._apply_filter()

    def set_status(self, name: str, status: ImageStatus) -> None:
        item = self._items.get(name)
        if item is None:
            return
        item.setText(1, f"● {status.short}")  # short: a long status squeezed the names
        item.setToolTip(1, status.label)
        item.setToolTip(0, name)
        item.setForeground(1, QBrush(STATUS_COLOURS[status]))
        item.setData(1, Qt.ItemDataRole.UserRole, status)
        self._apply_filter()

    def status(self, name: str) -> ImageStatus | None:
        item = self._items.get(name)
        return None if item is None else item.data(1, Qt.ItemDataRole.UserRole)

    def set_embedded(self, name: str, embedded: bool = True) -> None:
        item = self._items.get(name)
        if item is not None:
            item.setText(2, "✓" if embedded else "")

    def set_current(self, name: str | None) -> None:
        """Select exactly the image on screen. The selection command is explicit: with the
        multi-selection the SAMIC UI enables, a plain setCurrentItem reads the keyboard
        modifiers, so after Ctrl+Return it would toggle the new row and keep the old one
        selected."""
        item = self._items.get(name or "")
        if item is None:
            self.tree.clearSelection()
            self.tree.setCurrentItem(None)  # type: ignore[call-overload]  # Qt takes None: no row
            return
        flags = QItemSelectionModel.SelectionFlag
        self.tree.setCurrentItem(item, 0, flags.ClearAndSelect | flags.Rows)
        self.tree.scrollToItem(item)

    def _apply_filter(self) -> None:
        text = self.search.text().strip().lower()
        wanted = self.status_filter.currentData()
        counts = dict.fromkeys(ImageStatus, 0)
        for name, item in self._items.items():
            status = item.data(1, Qt.ItemDataRole.UserRole)
            counts[status] = counts.get(status, 0) + 1
            hide = bool(text and text not in name.lower()) or (wanted not in (None, status))
            if item.isHidden() != hide:  # even an unchanged setHidden defers the tree's
                item.setHidden(hide)  # layout, and then later rows' new text is never painted
        total = len(self._items)
        self.summary.setText(
            f"{counts[ImageStatus.DONE]} of {total} done · "
            f"{counts[ImageStatus.IN_PROGRESS]} in progress"
            + (
                f" · {counts[ImageStatus.PREDICTED]} to review"
                if counts[ImageStatus.PREDICTED]
                else ""
            )
        )
