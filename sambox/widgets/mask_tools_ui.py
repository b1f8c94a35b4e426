"""Brush, eraser, polygon and cut-polygon tools of one main window, and the re-decode question.

The tool actions (with the box tool) form one exclusive group: at most one is on, none = point
prompts. The canvas turns gestures into strokes and polygons, the editor applies them to the
selected object's mask; this class only connects the two and asks before a hand edit is lost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QActionGroup
from PySide6.QtWidgets import QMessageBox

from sambox.model.document import ObjectState
from sambox.widgets.canvas import BOX
from sambox.widgets.canvas_tools import BRUSH, CUT, ERASER, POLYGON

if TYPE_CHECKING:
    from sambox.widgets.main_window import MainWindow

TOOL_ACTIONS = {
    "box_tool": BOX,
    "brush_tool": BRUSH,
    "eraser_tool": ERASER,
    "polygon_tool": POLYGON,
    "cut_tool": CUT,
}
KEEP, REDECODE, CLEAR = "Keep edit", "Re-decode", "Clear"


class MaskToolsUI(QObject):
    def __init__(self, window: MainWindow) -> None:
        """window: the MainWindow (its actions, canvas and editor)."""
        super().__init__(window)
        self.window, self.canvas, self.editor = window, window.canvas, window.editor
        a = window.actions
        self.group = QActionGroup(self)
        self.group.setExclusionPolicy(QActionGroup.ExclusionPolicy.ExclusiveOptional)
        for name in TOOL_ACTIONS:
            self.group.addAction(a[name])
            a[name].toggled.connect(lambda _on: self._tool_changed())
        self.canvas.stroke_drawn.connect(self.editor.paint_stroke)
        self.canvas.polygon_drawn.connect(self.editor.apply_polygon)
        self.canvas.brush_changed.connect(
            lambda r: window.show_message(f"Brush radius {r} px ([ and ], or Ctrl+wheel)")
        )
        a["brush_smaller"].triggered.connect(lambda: self.canvas.grow_brush(-1))
        a["brush_bigger"].triggered.connect(lambda: self.canvas.grow_brush(+1))
        self.editor.confirm_redecode = self.ask_redecode
        self.editor.confirm_clear = self.ask_clear

    def _tool_changed(self) -> None:
        checked = self.group.checkedAction()
        name = next((n for n, t in TOOL_ACTIONS.items() if self.window.actions[n] is checked), None)
        self.canvas.set_tool(TOOL_ACTIONS.get(name or ""))

    def escape(self) -> None:
        """Esc: leave the active tool (back to click prompts) first; only then clear the object."""
        checked = self.group.checkedAction()
        if checked is None:
            self.editor.clear_object()
            return
        checked.setChecked(False)  # the group allows none checked: toggled() resets the canvas
        self.window.show_message(f"Left {checked.text().replace('&', '')}: clicks add prompts.")

    def ask_clear(self, obj: ObjectState) -> bool:
        """True = clear the hand-edited object's prompts and mask (Ctrl+Z brings them back)."""
        return self._ask(
            obj,
            "Clearing it removes its prompts and the corrected mask.",
            "Keep the object, or clear it? Ctrl+Z undoes.",
            CLEAR,
        )

    def ask_redecode(self, obj: ObjectState) -> bool:
        """True = re-decode from the prompts (the hand edit is replaced; Ctrl+Z brings it back)."""
        return self._ask(
            obj,
            "Changing its prompts makes SAM decode a new mask that replaces the edit.",
            "Keep the edit (prompts unchanged), or re-decode? Ctrl+Z undoes.",
            REDECODE,
        )

    def _ask(self, obj: ObjectState, consequence: str, question: str, verb: str) -> bool:
        """Ask whether `verb` may drop the hand edit of `obj`; True = go ahead, default keep."""
        box = QMessageBox(self.window)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Mask edited by hand")
        box.setText(f"Object #{obj.id} ({obj.label}) was corrected by hand. {consequence}")
        box.setInformativeText(question)
        keep = box.addButton(KEEP, QMessageBox.ButtonRole.RejectRole)
        box.addButton(verb, QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(keep)
        box.exec()
        return box.clickedButton() is not None and box.clickedButton() is not keep
