"""What the canvas draws besides the image and overlay: prompt markers; and the numpy -> Qt
image conversion it uses for both."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

POSITIVE = QColor(46, 204, 113)
NEGATIVE = QColor(231, 76, 60)


def qimage_from_array(array: np.ndarray) -> QImage:
    """(H, W, 3) RGB or (H, W, 4) RGBA uint8 -> a QImage that owns a copy of the pixels."""
    array = np.ascontiguousarray(array)
    h, w = array.shape[:2]
    fmt = QImage.Format.Format_RGB888 if array.shape[2] == 3 else QImage.Format.Format_RGBA8888
    return QImage(array.data, w, h, array.strides[0], fmt).copy()


class PromptMarker(QGraphicsItem):
    """A point prompt: a filled disc with + or −, the same size on screen at any zoom."""

    def __init__(self, positive: bool, current: bool) -> None:
        super().__init__()
        self.positive = positive
        self.radius = 7.0 if current else 5.0
        self.current = current
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setZValue(10 if current else 5)

    def boundingRect(self) -> QRectF:
        r = self.radius + 2
        return QRectF(-r, -r, 2 * r, 2 * r)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        colour = QColor(POSITIVE if self.positive else NEGATIVE)
        if not self.current:
            colour.setAlpha(170)
        painter.setPen(QPen(QColor("white"), 1.6 if self.current else 1.0))
        painter.setBrush(QBrush(colour))
        r = self.radius
        painter.drawEllipse(QPointF(0, 0), r, r)
        painter.setPen(QPen(QColor("white"), 1.8 if self.current else 1.2))
        a = r * 0.5
        painter.drawLine(QPointF(-a, 0), QPointF(a, 0))
        if self.positive:
            painter.drawLine(QPointF(0, -a), QPointF(0, a))
