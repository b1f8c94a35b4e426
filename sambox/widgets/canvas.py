"""The image canvas: full-resolution image, mask overlay, prompt markers; zoom and pan.

It only draws what it is given and turns mouse gestures into signals in image pixels:
left click = positive point, right or Shift+left click = negative point, Ctrl+left drag
(or any left drag with the box tool) = box; the wheel zooms towards the cursor, middle drag
or Space+drag pans. With a drawing tool (brush, eraser, polygon, cut polygon; canvas_tools.py)
left drags paint and left clicks place polygon vertices; Ctrl+wheel sizes the brush.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QKeyEvent,
    QMouseEvent,
    QPen,
    QPixmap,
    QResizeEvent,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPixmapItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsView,
    QWidget,
)

from sambox.model.view_region import Region, view_grid
from sambox.widgets.canvas_items import PromptMarker, qimage_from_array
from sambox.widgets.canvas_tools import BRUSH, ERASER, ToolGestures
from samic_core.raster import Raster, in_memory

BOX = "box"
CLOSE_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
POLYGON_KEYS = (*CLOSE_KEYS, Qt.Key.Key_Escape, Qt.Key.Key_Backspace)

CLICK_SLOP = 4  # screen px a click may move and still be a click
ZOOM_STEP = 1.25
VIEW_DELAY_MS = 60
DETAIL_FROM = 1.5  # the view's own pixels are drawn from 1.5x the overview's resolution


class Canvas(QGraphicsView):
    point_clicked = Signal(float, float, bool)  # x, y in image px, positive
    box_drawn = Signal(float, float, float, float)  # x0, y0, x1, y1 in image px
    overlay_updated = Signal()  # the mask pixmap on screen was replaced
    zoom_changed = Signal(float)  # screen px per image px
    view_changed = Signal()  # a big image's view settled elsewhere: its overlay is redrawn
    stroke_drawn = Signal(object, float, bool)  # [(x, y), ...] image px, radius, erase
    polygon_drawn = Signal(object, bool)  # [(x, y), ...] image px, cut
    brush_changed = Signal(int)  # brush radius in image px

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setBackgroundBrush(QColor(38, 40, 44))
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)  # see zoom_by
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setDragMode(QGraphicsView.DragMode.NoDrag)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.viewport().setCursor(Qt.CursorShape.CrossCursor)
        self._image = QGraphicsPixmapItem()
        self._image.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self._fill = QGraphicsPixmapItem()
        self._outline = QGraphicsPixmapItem()
        self._detail = QGraphicsPixmapItem()  # a big image's pixels of the region in view
        self._fill.setZValue(1)
        self._outline.setZValue(2)
        self._detail.setZValue(0.5)
        for item in (self._image, self._detail, self._fill, self._outline):
            self.scene().addItem(item)
        self.raster: Raster | None = None
        self._view_timer = QTimer(self)  # a big image's view is redrawn once the view settles
        self._view_timer.setSingleShot(True)
        self._view_timer.setInterval(VIEW_DELAY_MS)
        self._view_timer.timeout.connect(self._refresh_view)
        self._prompt_items: list[QGraphicsItem] = []
        self._rubber: QGraphicsRectItem | None = None
        self._press: tuple[QPointF, QPointF, Qt.MouseButton] | None = None  # view, scene, button
        self._pan_from: QPointF | None = None
        self._space = False
        self.tools = ToolGestures(
            self.scene(),
            lambda pts, r, erase: self.stroke_drawn.emit(pts, r, erase),
            lambda pts, cut: self.polygon_drawn.emit(pts, cut),
        )
        self._tool: str | None = None  # None = prompts; BOX or one of canvas_tools.DRAWING_TOOLS
        self.image_size: tuple[int, int] | None = None  # (H, W)

    # ---- content -----------------------------------------------------------------------------
    def set_image(self, image: Raster | np.ndarray | None) -> None:
        """Show an (H, W, 3) RGB image and fit it to the window. A big image (a Raster with an
        overview) is drawn from its overview, and from its pixels only for the region in view
        when zoomed in past the overview's resolution (never one full-size pixmap)."""
        self.set_overlay(None, None)
        self.set_prompts([], [])
        self._detail.setPixmap(QPixmap())
        self.raster = in_memory(image) if isinstance(image, np.ndarray) else image
        if self.raster is None:
            self._image.setPixmap(QPixmap())
            self.image_size = None
            return
        h, w = self.raster.shape
        oh, ow = self.raster.overview.shape[:2]
        self._image.setPixmap(QPixmap.fromImage(qimage_from_array(self.raster.overview)))
        self._image.setTransform(QTransform.fromScale(w / ow, h / oh))
        self.image_size = (h, w)
        self.scene().setSceneRect(QRectF(0, 0, w, h))
        self.fit()

    @property
    def is_big(self) -> bool:
        """The image is drawn from an overview and regions (see set_image)."""
        return self.raster is not None and self.raster.scale < 1

    def set_overlay(
        self,
        fill: np.ndarray | None,
        outline: np.ndarray | None,
        region: tuple[int, int, int, int] | None = None,
    ) -> None:
        """fill / outline: (h, w, 4) RGBA uint8 of the whole image, or of `region` (y0, x0, y1,
        x1) sampled on an (h, w) grid; the fill's opacity is the overlay opacity."""
        for item, rgba in ((self._fill, fill), (self._outline, outline)):
            pixmap = QPixmap() if rgba is None else QPixmap.fromImage(qimage_from_array(rgba))
            item.setPixmap(pixmap)
            if rgba is not None and region is not None:
                y0, x0, y1, x1 = region
                item.setPos(x0, y0)
                item.setTransform(QTransform.fromScale((x1 - x0) / rgba.shape[1],
                                                       (y1 - y0) / rgba.shape[0]))  # fmt: skip
            else:
                item.setPos(0, 0)
                item.setTransform(QTransform())
        self.overlay_updated.emit()

    def view_grid(self) -> tuple[tuple[int, int, int, int], tuple[int, int]] | None:
        """What a big image's overlay is drawn for: the region in view with a margin (y0, x0,
        y1, x1) and the (h, w) grid that samples it at about the screen's resolution."""
        seen = self.visible_region()
        if seen is None or self.image_size is None:
            return None
        return view_grid(seen, self.image_size, self.zoom)

    def _view_moved(self) -> None:
        if self.is_big:
            self._view_timer.start()

    def _refresh_view(self) -> None:
        """A big image zoomed in: its pixels of the region in view at the screen's resolution
        (read from the memory map), over the overview; then `view_changed` for the overlay."""
        grid = self.view_grid() if self.is_big else None
        if grid is None or self.raster is None:
            return
        (y0, x0, y1, x1), _ = grid
        if self.zoom <= DETAIL_FROM * self.raster.scale:  # the overview is about as sharp
            self._detail.setPixmap(QPixmap())
        else:
            step = max(1, int(1.0 / self.zoom))  # image px a screen px shows, at most
            part = np.asarray(self.raster.pixels[y0:y1:step, x0:x1:step])
            self._detail.setPixmap(QPixmap.fromImage(qimage_from_array(part)))
            self._detail.setPos(x0, y0)
            self._detail.setTransform(QTransform.fromScale(step, step))
        self.view_changed.emit()

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        self._view_moved()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._view_moved()

    def set_prompts(
        self,
        points: list[tuple[float, float, bool, bool]],
        boxes: list[tuple[tuple[float, float, float, float], QColor, bool]],
    ) -> None:
        """points: (x, y, positive, current object); boxes: (xyxy, colour, current object)."""
        for item in self._prompt_items:
            self.scene().removeItem(item)
        self._prompt_items = []
        for (x0, y0, x1, y1), colour, current in boxes:
            pen = QPen(colour, 2.5 if current else 1.5)
            pen.setCosmetic(True)
            if not current:
                pen.setStyle(Qt.PenStyle.DashLine)
            rect = self.scene().addRect(QRectF(x0, y0, x1 - x0, y1 - y0), pen)
            rect.setZValue(4)
            self._prompt_items.append(rect)
        for x, y, positive, current in points:
            marker = PromptMarker(positive, current)
            marker.setPos(x, y)
            self.scene().addItem(marker)
            self._prompt_items.append(marker)

    def set_overlay_opacity(self, opacity: float) -> None:
        self._fill.setOpacity(opacity)

    def set_overlay_visible(self, visible: bool) -> None:
        self._fill.setVisible(visible)
        self._outline.setVisible(visible)

    # ---- tools ---------------------------------------------------------------------------------
    @property
    def tool(self) -> str | None:
        return self._tool

    def set_tool(self, tool: str | None) -> None:
        """None = point prompts; "box"; or a drawing tool ("brush", "eraser", "polygon", "cut")."""
        self._tool = tool
        self.tools.set_tool(tool)

    @property
    def box_mode(self) -> bool:
        return self._tool == BOX

    @box_mode.setter
    def box_mode(self, on: bool) -> None:
        if on or self._tool == BOX:
            self.set_tool(BOX if on else None)

    def grow_brush(self, steps: float) -> None:
        self.brush_changed.emit(self.tools.grow(steps))

    # ---- zoom --------------------------------------------------------------------------------
    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def visible_region(self) -> Region | None:
        """The image pixels the view shows now, clipped to the image; None without an image."""
        if self.image_size is None:
            return None
        rect = self.mapToScene(self.viewport().rect()).boundingRect()
        h, w = self.image_size
        x0, y0 = max(0, int(rect.left())), max(0, int(rect.top()))
        x1, y1 = min(w, int(rect.right()) + 1), min(h, int(rect.bottom()) + 1)
        if x1 <= x0 or y1 <= y0:
            return None
        return y0, x0, y1, x1

    def fit(self) -> None:
        if self.image_size is not None:
            self.fitInView(self.scene().sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)
            self.zoom_changed.emit(self.zoom)
            self._view_moved()

    def zoom_by(self, factor: float, at: QPointF | None = None) -> None:
        """Zoom keeping the image point under `at` (viewport px; default: the centre) in place.
        By hand: Qt's AnchorUnderMouse reads a cursor its own mouse-move handler records."""
        new = self.zoom * factor
        if not 0.02 <= new <= 64:
            return
        at = QPointF(self.viewport().rect().center()) if at is None else at
        point = self.mapToScene(at.toPoint())
        self.scale(factor, factor)
        moved = QPointF(self.mapFromScene(point)) - at  # where that point went, in the viewport
        h, v = self.horizontalScrollBar(), self.verticalScrollBar()
        h.setValue(h.value() + round(moved.x()))
        v.setValue(v.value() + round(moved.y()))
        self.zoom_changed.emit(self.zoom)
        self._view_moved()

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        if steps and ctrl and self._tool in (BRUSH, ERASER):
            self.grow_brush(steps)
        elif steps:
            self.zoom_by(ZOOM_STEP**steps, event.position())

    # ---- mouse -------------------------------------------------------------------------------
    def _inside(self, p: QPointF) -> bool:
        if self.image_size is None:
            return False
        h, w = self.image_size
        return 0 <= p.x() < w and 0 <= p.y() < h

    def mousePressEvent(self, event: QMouseEvent) -> None:
        button = event.button()
        if button == Qt.MouseButton.MiddleButton or (
            self._space and button == Qt.MouseButton.LeftButton
        ):
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            return
        if self.tools.tool is not None:
            if button == Qt.MouseButton.LeftButton and self.tools.tool in (BRUSH, ERASER):
                self.tools.stroke_press(self.mapToScene(event.position().toPoint()))
            elif button == Qt.MouseButton.LeftButton:
                scene = self.mapToScene(event.position().toPoint())
                self._press = (event.position(), scene, button)
            return
        if button in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            scene = self.mapToScene(event.position().toPoint())
            self._press = (event.position(), scene, button)
            ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
            if button == Qt.MouseButton.LeftButton and (self.box_mode or ctrl):
                pen = QPen(QColor(255, 255, 255), 1.5, Qt.PenStyle.DashLine)
                pen.setCosmetic(True)
                self._rubber = self.scene().addRect(QRectF(scene, scene), pen)
                self._rubber.setZValue(20)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            h, v = self.horizontalScrollBar(), self.verticalScrollBar()
            h.setValue(h.value() - int(delta.x()))
            v.setValue(v.value() - int(delta.y()))
            return
        if self.tools.tool is not None:
            self.tools.hover(self.mapToScene(event.position().toPoint()))
            return
        if self._rubber is not None and self._press is not None:
            scene = self.mapToScene(event.position().toPoint())
            self._rubber.setRect(QRectF(self._press[1], scene).normalized())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            self._pan_from = None
            self.viewport().setCursor(
                Qt.CursorShape.OpenHandCursor if self._space else Qt.CursorShape.CrossCursor
            )
            return
        if self.tools.stroking():
            self.tools.stroke_release()
            return
        press, self._press = self._press, None
        if self.tools.tool is not None:  # a polygon vertex per click
            moved = press is not None and (event.position() - press[0]).manhattanLength()
            if press is not None and moved <= CLICK_SLOP and self._inside(press[1]):
                self.tools.add_vertex(press[1])
            return
        rubber, self._rubber = self._rubber, None
        if rubber is not None:
            self.scene().removeItem(rubber)
        if press is None or event.button() != press[2]:
            return
        moved = (event.position() - press[0]).manhattanLength()
        if rubber is not None and moved > CLICK_SLOP:
            end = self.mapToScene(event.position().toPoint())
            r = QRectF(press[1], end).normalized()
            self.box_drawn.emit(r.left(), r.top(), r.right(), r.bottom())
            return
        if moved <= CLICK_SLOP and self._inside(press[1]):
            shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            positive = press[2] == Qt.MouseButton.LeftButton and not shift
            self.point_clicked.emit(press[1].x(), press[1].y(), positive)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if self.tools.polygon_open:
            self.tools.close_polygon()  # the first click of the pair placed the last vertex
            return
        self.mousePressEvent(event)

    def contextMenuEvent(self, event: object) -> None:
        pass  # right click is a negative point, not a menu

    # ---- keys --------------------------------------------------------------------------------
    def event(self, event: QEvent) -> bool:
        """While a polygon is open, Enter/Esc/Backspace belong to it, not to window shortcuts."""
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and self.tools.polygon_open
            and isinstance(event, QKeyEvent)
            and event.key() in POLYGON_KEYS
        ):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.tools.polygon_open and event.key() in POLYGON_KEYS:
            if event.key() in CLOSE_KEYS:
                self.tools.close_polygon()
            elif event.key() == Qt.Key.Key_Escape:
                self.tools.cancel()
            else:
                self.tools.drop_vertex()
            return
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.viewport().setCursor(Qt.CursorShape.CrossCursor)
            return
        super().keyReleaseEvent(event)
