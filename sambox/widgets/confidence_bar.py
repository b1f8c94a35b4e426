"""The current object's SAM confidence, its history, saturation, and the 3 candidate masks.

Paper section 3.1 / appendix B: annotators add points until SAM's predicted IoU saturates;
this bar says when that happened, and lets a single click pick among SAM's candidates.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPointF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen, QPolygonF, QResizeEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from sambox.model.confidence import SATURATED_SCORE, advice, format_score, trend
from sambox.model.document import ObjectState
from sambox.model.overlay import object_colour


class Sparkline(QWidget):
    """Confidence after each prompt, on a 0..1 scale with the saturation line dashed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.values: tuple[float, ...] = ()
        self.setFixedSize(QSize(120, 30))

    def sizeHint(self) -> QSize:
        return QSize(120, 30)

    def set_values(self, values: Sequence[float]) -> None:
        self.values = tuple(values)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self.width() - 6, self.height() - 6
        p.fillRect(self.rect(), QColor(30, 32, 36))

        def y(v: float) -> float:
            return 3 + h * (1 - max(0.0, min(1.05, v)) / 1.05)

        p.setPen(QPen(QColor(90, 200, 120), 1, Qt.PenStyle.DashLine))
        p.drawLine(QPointF(3, y(SATURATED_SCORE)), QPointF(3 + w, y(SATURATED_SCORE)))
        if not self.values:
            return
        n = max(len(self.values) - 1, 1)
        pts = [QPointF(3 + w * i / n, y(v)) for i, v in enumerate(self.values)]
        p.setPen(QPen(QColor(0, 190, 255), 2))
        p.drawPolyline(QPolygonF(pts))
        p.setBrush(QColor(0, 190, 255))
        p.drawEllipse(pts[-1], 3, 3)


class ElidedLabel(QLabel):
    """A one-line label that shortens its text with … to fit, the full text in the tooltip.

    Its size hint never follows the text, so a long message cannot widen the window or move
    the widgets around it (the canvas would jump whenever a hint appeared).
    """

    def __init__(self, padding: int = 0, parent: QWidget | None = None) -> None:
        """padding: horizontal px a stylesheet adds around the text (kept free of text)."""
        super().__init__(parent)
        self._full = ""
        self._padding = padding
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(40)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        self._full = text
        self._elide()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        room = max(0, self.contentsRect().width() - 2 * self.margin() - self._padding)
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, room)
        super().setText(shown or ("…" if self._full else ""))
        self.setToolTip("" if shown == self._full else self._full)


class ConfidenceBar(QFrame):
    candidate_chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.swatch = QLabel()  # the object's class colour
        self.object_label = ElidedLabel()  # "Object #3 · ring", shortened when narrow
        bold = self.object_label.font()
        bold.setBold(True)
        self.object_label.setFont(bold)
        self.score_label = QLabel()
        self.score_label.setTextFormat(Qt.TextFormat.RichText)
        self.score_label.setMinimumWidth(160)
        self.object_label.setMinimumWidth(80)
        self.sparkline = Sparkline()
        self.hint = ElidedLabel(padding=20)  # _hint_style pads 8 px each side
        self.candidates: list[QPushButton] = []
        group = QButtonGroup(self)
        group.setExclusive(True)
        # two fixed rows: what SAM says (and the candidates' reserved room), then the hint with
        # the bar's full width, so neither a long hint nor the buttons can move anything
        rows = QVBoxLayout(self)
        rows.setContentsMargins(8, 3, 8, 3)
        rows.setSpacing(2)
        layout = QHBoxLayout()
        rows.addLayout(layout)
        rows.addWidget(self.hint)
        layout.addWidget(self.swatch)
        layout.addWidget(self.object_label, 1)
        layout.addSpacing(12)
        layout.addWidget(self.score_label)
        layout.addWidget(self.sparkline)
        layout.addSpacing(8)
        self.candidates_label = QLabel("Tab:")
        self.candidates_label.setToolTip("SAM's 3 candidate masks for a single click (Tab cycles)")
        layout.addWidget(self.candidates_label)
        for i in range(3):
            b = QPushButton(f"{i + 1}")
            b.setMaximumWidth(70)
            b.setCheckable(True)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.clicked.connect(lambda _=False, k=i: self.candidate_chosen.emit(k))
            group.addButton(b)
            layout.addWidget(b)
            self.candidates.append(b)
        for w in (self.candidates_label, *self.candidates):  # their room stays when hidden
            policy = w.sizePolicy()
            policy.setRetainSizeWhenHidden(True)
            w.setSizePolicy(policy)
            if isinstance(w, QPushButton):
                w.setText("3: 0.00")
                w.setFixedWidth(w.sizeHint().width())
        self.hint.setText("Hint")
        self._hint_style("#000")  # measure with the tallest (styled) hint
        self.setFixedHeight(self.sizeHint().height())  # the bottom bar never changes height
        self.show_object(None)

    def show_object(
        self,
        obj: ObjectState | None,
        busy: bool = False,
        colour: tuple[int, int, int] | None = None,
    ) -> None:
        """The object's confidence and hint; colour: its class colour (RGB) for the swatch."""
        single = obj is not None and obj.key.is_single_click and len(obj.candidate_scores) == 3
        for i, b in enumerate(self.candidates):
            b.setVisible(single)
            if single and obj is not None:
                b.setText(f"{i + 1}: {format_score(obj.candidate_scores[i], 2)}")
                b.setChecked(obj.result_candidate == i)
        self.candidates_label.setVisible(single)
        if obj is None or not (obj.has_prompts or obj.edited):
            who = "" if obj is None else f"Object #{obj.id} · {obj.label}"
            self.swatch.setText("")
            self.object_label.setText(who)
            self.score_label.setText("Confidence <b>—</b>")
            self.sparkline.set_values(())
            self.hint.setText("Click the object to segment (right click: not the object).")
            self._hint_style(None)
            return
        r, g, b_ = colour or object_colour(obj.id)
        self.swatch.setText(f"<span style='color:rgb({r},{g},{b_})'>■</span>")
        self.object_label.setText(f"Object #{obj.id} · {obj.label}")
        score = format_score(obj.score)
        delta = trend(obj.history)
        arrow = ""
        if delta is not None:
            arrow = f" <span style='color:{'#5c5' if delta >= 0 else '#e66'}'>{delta:+.3f}</span>"
        self.score_label.setText(f"Confidence <b style='font-size:15px'>{score}</b>{arrow}")
        self.sparkline.set_values(obj.history)
        kind, text = advice(obj.history)
        if busy or obj.needs_decode:
            self.hint.setText("SAM is updating the mask…")
            self._hint_style(None)
        elif obj.edited:
            self.hint.setText("✎ Mask edited by hand; a new prompt asks before re-decoding it.")
            self._hint_style("#455a64")
        elif kind == "saturated":
            self.hint.setText(text)
            self._hint_style("#2e7d32")
        elif single and kind in ("first", "rising"):
            self.hint.setText("Ambiguous single click: add points, or Tab through SAM's 3 masks.")
            self._hint_style("#8a6d00")
        else:
            self.hint.setText(text)
            self._hint_style("#b23c17" if kind in ("fell", "low") else "#8a6d00")

    def _hint_style(self, colour: str | None) -> None:
        self.hint.setStyleSheet(
            ""
            if colour is None
            else f"color:white; background:{colour}; padding:3px 8px;"
            "border-radius:4px; font-weight:bold"
        )
