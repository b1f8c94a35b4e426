"""The canvas's hand-editing gestures: brush / eraser strokes and polygons, with live previews.

The canvas forwards mouse and key events here while a drawing tool is active; this class only
draws previews in the scene and reports finished gestures in image pixels through callbacks,
so the editor (not the widget) decides what a stroke or polygon does to the mask.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import (
    QGraphicsEllipseItem,
    QGraphicsLineItem,
    QGraphicsPathItem,
    QGraphicsPolygonItem,
    QGraphicsScene,
)

from sambox.model.mask_edit import XY, clamp_radius

BRUSH, ERASER, POLYGON, CUT = "brush", "eraser", "polygon", "cut"
DRAWING_TOOLS = (BRUSH, ERASER, POLYGON, CUT)
ADD_COLOUR, CUT_COLOUR = QColor(80, 220, 120), QColor(240, 80, 80)
BRUSH_STEP = 1.25  # [ and ] and Ctrl+wheel scale the brush by this much


def _pen(colour: QColor, width: float = 1.5, cosmetic: bool = True) -> QPen:
    pen = QPen(colour, width)
    pen.setCosmetic(cosmetic)
    return pen


class ToolGestures:
    """Stroke and polygon state of one canvas; `scene` is the canvas scene (image px units)."""

    def __init__(
        self,
        scene: QGraphicsScene,
        on_stroke: Callable[[list[XY], float, bool], None],
        on_polygon: Callable[[list[XY], bool], None],
    ) -> None:
        self.scene, self.on_stroke, self.on_polygon = scene, on_stroke, on_polygon
        self.tool: str | None = None
        self.radius = 10  # image px
        self._stroke: list[QPointF] = []
        self._stroke_item: QGraphicsPathItem | None = None
        self._vertices: list[QPointF] = []
        self._poly_item: QGraphicsPolygonItem | None = None
        self._rubber_line: QGraphicsLineItem | None = None
        self._cursor = QGraphicsEllipseItem()
        self._cursor.setZValue(30)
        self._cursor.setVisible(False)
        scene.addItem(self._cursor)

    # ---- state -------------------------------------------------------------------------------
    def set_tool(self, tool: str | None) -> None:
        self.cancel()
        self.tool = tool if tool in DRAWING_TOOLS else None
        self._cursor.setVisible(False)

    @property
    def erasing(self) -> bool:
        return self.tool in (ERASER, CUT)

    @property
    def polygon_open(self) -> bool:
        return bool(self._vertices)

    @property
    def vertices(self) -> list[XY]:
        return [(p.x(), p.y()) for p in self._vertices]

    def set_radius(self, radius: float) -> int:
        self.radius = clamp_radius(radius)
        self._show_cursor(self._cursor.rect().center())
        return self.radius

    def grow(self, steps: float) -> int:
        """Scale the brush by BRUSH_STEP per step, always by at least one pixel."""
        scaled = self.radius * BRUSH_STEP**steps
        bigger = steps > 0
        return self.set_radius(
            max(self.radius + 1, scaled) if bigger else min(self.radius - 1, scaled)
        )

    def cancel(self) -> None:
        """Drop a stroke or polygon in progress (Esc, or a tool change)."""
        for item in (self._stroke_item, self._poly_item, self._rubber_line):
            if item is not None:
                self.scene.removeItem(item)
        self._stroke, self._stroke_item = [], None
        self._vertices, self._poly_item, self._rubber_line = [], None, None

    # ---- brush and eraser --------------------------------------------------------------------
    def _show_cursor(self, p: QPointF) -> None:
        if self.tool not in (BRUSH, ERASER):
            return
        r = self.radius
        self._cursor.setRect(QRectF(p.x() - r, p.y() - r, 2 * r, 2 * r))
        self._cursor.setPen(_pen(CUT_COLOUR if self.erasing else ADD_COLOUR))
        self._cursor.setVisible(True)

    def stroke_press(self, p: QPointF) -> None:
        self._stroke = [p]
        colour = QColor(CUT_COLOUR if self.erasing else ADD_COLOUR)
        colour.setAlpha(110)
        pen = QPen(colour, 2 * self.radius, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        self._stroke_item = self.scene.addPath(self._path(), pen)
        self._stroke_item.setZValue(25)

    def hover(self, p: QPointF) -> None:
        self._show_cursor(p)
        if self._stroke_item is not None:
            self._stroke.append(p)
            self._stroke_item.setPath(self._path())
        if self._rubber_line is not None and self._vertices:
            self._rubber_line.setLine(QLineF(self._vertices[-1], p))

    def stroke_release(self) -> None:
        points = [(p.x(), p.y()) for p in self._stroke]
        self.cancel()
        if points:
            self.on_stroke(points, float(self.radius), self.erasing)

    def stroking(self) -> bool:
        return self._stroke_item is not None

    def _path(self) -> QPainterPath:
        path = QPainterPath(self._stroke[0])
        if len(self._stroke) == 1:
            path.lineTo(self._stroke[0] + QPointF(0.01, 0))  # a dab still shows a round cap
        for p in self._stroke[1:]:
            path.lineTo(p)
        return path

    # ---- polygon -----------------------------------------------------------------------------
    def add_vertex(self, p: QPointF) -> None:
        self._vertices.append(p)
        colour = CUT_COLOUR if self.erasing else ADD_COLOUR
        if self._poly_item is None:
            fill = QColor(colour)
            fill.setAlpha(60)
            self._poly_item = self.scene.addPolygon(QPolygonF(), _pen(colour, 2), QBrush(fill))
            self._poly_item.setZValue(25)
            self._rubber_line = self.scene.addLine(QLineF(p, p), _pen(colour, 1.5))
            self._rubber_line.setZValue(25)
        self._poly_item.setPolygon(QPolygonF(self._vertices))

    def close_polygon(self) -> bool:
        """Finish the polygon (Enter or double click); False when it has under 3 vertices."""
        vertices, cut = self.vertices, self.tool == CUT
        self.cancel()
        if len(vertices) < 3:
            return False
        self.on_polygon(vertices, cut)
        return True

    def drop_vertex(self) -> None:
        if self._vertices:
            self._vertices.pop()
            if self._vertices and self._poly_item is not None:
                self._poly_item.setPolygon(QPolygonF(self._vertices))
            else:
                self.cancel()
