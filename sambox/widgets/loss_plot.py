"""A small live plot of training and validation loss per epoch (custom painted, no QtCharts).

PySide6-Essentials has no QtCharts and matplotlib would be a heavy import for two lines, so this
draws axes, ticks, both series and a legend with QPainter. Setting an epoch's values again
replaces them (the trainer reports an epoch's last step before its validation loss).
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, QSize, QSizeF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

TRAIN_COLOUR = QColor(33, 113, 181)
VAL_COLOUR = QColor(230, 120, 20)
GRID_COLOUR = QColor(225, 225, 225)
AXIS_COLOUR = QColor(110, 110, 110)
BEST_COLOUR = QColor(60, 160, 80)


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """About `count` round tick values covering [lo, hi] (1, 2 or 5 times a power of ten)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return []
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0) * 0.1
    raw = (hi - lo) / max(count - 1, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    ticks, v = [], first
    while v <= hi + step * 1e-6:
        ticks.append(round(v, 10))
        v += step
    return ticks


def _fmt(v: float) -> str:
    return f"{v:.3g}"


class LossPlot(QWidget):
    """Train (blue, solid) and validation (orange, dashed) loss against the epoch."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._train: dict[int, float] = {}
        self._val: dict[int, float] = {}
        self._best_epoch: int | None = None
        self.best_label_rect: QRectF | None = None  # where the "best" label was last painted
        self.setMinimumSize(320, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def sizeHint(self) -> QSize:
        return QSize(460, 220)

    # ---- data ----------------------------------------------------------------------------------
    def clear(self) -> None:
        self._train.clear()
        self._val.clear()
        self._best_epoch = None
        self.update()

    def set_epoch(self, epoch: int, train: float | None, val: float | None) -> None:
        if train is not None and math.isfinite(train):
            self._train[epoch] = float(train)
        if val is not None and math.isfinite(val):
            self._val[epoch] = float(val)
        self.update()

    def set_best_epoch(self, epoch: int | None) -> None:
        self._best_epoch = epoch
        self.update()

    @property
    def epochs(self) -> list[int]:
        return sorted(set(self._train) | set(self._val))

    # ---- painting ------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor("white"))
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.9))
        p.setFont(font)
        fm = p.fontMetrics()
        left = fm.horizontalAdvance("00.000") + 12
        top = fm.height() + 12  # the legend sits above the plot, never over the curves
        plot = QRectF(
            left, top, self.width() - left - 12, self.height() - top - fm.height() * 2 - 8
        )
        epochs = self.epochs
        if not epochs or plot.width() < 20 or plot.height() < 20:
            p.setPen(AXIS_COLOUR)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "The loss curves appear here")
            p.end()
            return
        values = list(self._train.values()) + list(self._val.values())
        lo, hi = min(values), max(values)
        pad = (hi - lo) * 0.08 or abs(hi) * 0.05 or 0.5
        lo, hi = lo - pad, hi + pad
        x_hi = max(epochs[-1], 2)

        def to_px(epoch: float, v: float) -> QPointF:
            x = plot.left() + (epoch - 1) / (x_hi - 1) * plot.width()
            y = plot.bottom() - (v - lo) / (hi - lo) * plot.height()
            return QPointF(x, y)

        # grid and y ticks
        for t in nice_ticks(lo, hi, 6):
            y = to_px(1, t).y()
            p.setPen(QPen(GRID_COLOUR, 1))
            p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            p.setPen(AXIS_COLOUR)
            r = QRectF(0, y - fm.height() / 2, left - 6, fm.height())
            p.drawText(r, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, _fmt(t))
        # x ticks (whole epochs)
        for t in nice_ticks(1, x_hi):
            if t < 1 or t != int(t):
                continue
            x = to_px(t, lo).x()
            p.setPen(AXIS_COLOUR)
            p.drawLine(QPointF(x, plot.bottom()), QPointF(x, plot.bottom() + 4))
            r = QRectF(x - 30, plot.bottom() + 5, 60, fm.height())
            p.drawText(r, Qt.AlignmentFlag.AlignHCenter, str(int(t)))
        p.setPen(QPen(AXIS_COLOUR, 1))
        p.drawLine(plot.bottomLeft(), plot.bottomRight())
        p.drawLine(plot.bottomLeft(), plot.topLeft())
        p.drawText(
            QRectF(plot.left(), self.height() - fm.height() - 2, plot.width(), fm.height()),
            Qt.AlignmentFlag.AlignHCenter,
            "epoch",
        )
        # best epoch marker
        if self._best_epoch is not None and self._best_epoch in epochs:
            x = to_px(self._best_epoch, lo).x()
            pen = QPen(BEST_COLOUR, 1, Qt.PenStyle.DotLine)
            p.setPen(pen)
            p.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
            p.setPen(BEST_COLOUR)
            size = QSizeF(fm.horizontalAdvance("best") + 2, fm.height())
            self.best_label_rect = self._best_label(size, x, plot.top())
            p.drawText(self.best_label_rect, Qt.AlignmentFlag.AlignCenter, "best")
        else:
            self.best_label_rect = None
        # series
        for data, colour, style in (
            (self._train, TRAIN_COLOUR, Qt.PenStyle.SolidLine),
            (self._val, VAL_COLOUR, Qt.PenStyle.DashLine),
        ):
            pts = [to_px(e, data[e]) for e in sorted(data)]
            if not pts:
                continue
            path = QPainterPath(pts[0])
            for q in pts[1:]:
                path.lineTo(q)
            p.setPen(QPen(colour, 2, style))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawPath(path)
            p.setPen(QPen(colour, 1))
            p.setBrush(colour)
            for q in pts if len(pts) <= 60 else pts[-1:]:
                p.drawEllipse(q, 2.5, 2.5)
        self._legend(p, plot)
        p.end()

    def _best_label(self, size: QSizeF, x: float, top: float) -> QRectF:
        """The "best" label's rect at the plot's `top`: right of the marker at `x`, or left of
        it where it would run past the widget's right edge (the best epoch is the last one)."""
        left = x + 3 if x + 3 + size.width() <= self.width() - 2 else x - 3 - size.width()
        return QRectF(QPointF(max(0.0, left), top), size)

    def _legend(self, p: QPainter, plot: QRectF) -> None:
        """One row above the plot, right-aligned: a line sample and the latest value per series."""
        fm = p.fontMetrics()
        items = [("train", TRAIN_COLOUR, Qt.PenStyle.SolidLine, self._train)]
        if self._val:
            items.append(("validation", VAL_COLOUR, Qt.PenStyle.DashLine, self._val))
        y = plot.top() - fm.height() / 2 - 6
        x = plot.right()
        for name, colour, style, data in reversed(items):
            label = f"{name} {_fmt(data[max(data)])}" if data else name
            x -= fm.horizontalAdvance(label)
            p.setPen(AXIS_COLOUR)
            p.drawText(QPointF(x, y + fm.ascent() / 2 - 1), label)
            p.setPen(QPen(colour, 2, style))
            p.drawLine(QPointF(x - 24, y), QPointF(x - 4, y))
            x -= 40
