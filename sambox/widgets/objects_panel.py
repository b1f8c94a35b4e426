"""The objects of the open image: colour, class, confidence and prompt count per instance."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from sambox.model.confidence import format_score, is_saturated
from sambox.model.document import ObjectState
from sambox.model.overlay import object_colour

RIGHT_ALIGNED = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class ObjectsPanel(QWidget):
    object_selected = Signal(int)
    new_requested = Signal()
    delete_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["", "#", "Class", "Conf.", "Prompts"])
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.table.horizontalHeader()
        for col in range(5):
            mode = (
                QHeaderView.ResizeMode.Stretch
                if col == 2
                else QHeaderView.ResizeMode.ResizeToContents
            )
            header.setSectionResizeMode(col, mode)
        self.new_button = QPushButton("New object (N)")
        self.delete_button = QPushButton("Delete (Del)")
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.delete_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self._ids: list[int] = []
        self._updating = False
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.new_button.clicked.connect(self.new_requested.emit)
        self.delete_button.clicked.connect(self._delete)

    def set_objects(
        self,
        objects: tuple[ObjectState, ...],
        current_id: int | None,
        colours: dict[int, tuple[int, int, int]] | None = None,
    ) -> None:
        """The open image's objects; colours: object id -> RGB of its class (swatch)."""
        self._updating = True
        self._ids = [o.id for o in objects]
        self.table.setRowCount(len(objects))
        for row, o in enumerate(objects):
            swatch = QTableWidgetItem()
            icon = QPixmap(14, 14)
            icon.fill(QColor(*(colours or {}).get(o.id, object_colour(o.id))))
            swatch.setIcon(QIcon(icon))
            score = format_score(o.score)
            if o.needs_decode:
                score += " …"
            elif is_saturated(o.history):
                score += " ✓"
            n_neg = sum(1 for p in o.points if not p[2])
            prompts = f"{len(o.points) - n_neg}+ {n_neg}−" + (" □" if o.box else "")
            prompts += " ✎" if o.edited else ""  # corrected by hand
            label = QTableWidgetItem(o.label)
            if o.source == "predicted" and not o.reviewed:  # review: italic blue, as in the list
                font = label.font()
                font.setItalic(True)
                label.setFont(font)
                label.setForeground(QColor(80, 140, 230))
                label.setToolTip("predicted by SAMIC, not reviewed yet")
            cells = [swatch, QTableWidgetItem(str(o.id)), label]
            cells += [QTableWidgetItem(score), QTableWidgetItem(prompts)]
            for col, cell in enumerate(cells):
                if col in (1, 3):
                    cell.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(row, col, cell)
        if current_id in self._ids:
            self.table.selectRow(self._ids.index(current_id))
        else:
            self.table.clearSelection()
        self.delete_button.setEnabled(current_id in self._ids)
        self._updating = False

    def _selected_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return self._ids[rows[0].row()] if rows else None

    def _selection_changed(self) -> None:
        oid = self._selected_id()
        if not self._updating and oid is not None:
            self.object_selected.emit(oid)

    def _delete(self) -> None:
        oid = self._selected_id()
        if oid is not None:
            self.delete_requested.emit(oid)
