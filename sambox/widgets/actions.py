"""QActions built from the keymap table, so menus, toolbar and F1 help never disagree.

An action whose id has an icon in resources/icons (e.g. `undo.svg`) shows it in the toolbar,
with its text under it, and in the menus.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import QWidget

from sambox.assets import icon_path
from sambox.keymap import BINDINGS, CLASS_KEYS

CHECKABLE = {"box_tool", "toggle_masks", "brush_tool", "eraser_tool", "polygon_tool", "cut_tool"}


def make_actions(parent: QWidget) -> dict[str, QAction]:
    """One QAction per keyed binding (window-wide shortcuts), plus class_1 … class_9."""
    actions: dict[str, QAction] = {}
    for b in BINDINGS:
        if not b.action:
            continue
        a = QAction(b.text, parent)
        a.setShortcuts([QKeySequence(k) for k in b.keys])
        a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        tip = b.text.replace("&", "").rstrip("…")
        a.setToolTip(f"{tip} ({' / '.join(b.keys)})" + (f": {b.help}" if b.help else ""))
        a.setCheckable(b.action in CHECKABLE)
        icon = icon_path(b.action)
        if icon is not None:
            a.setIcon(QIcon(str(icon)))
        parent.addAction(a)
        actions[b.action] = a
    for key in CLASS_KEYS:
        a = QAction(f"Class {key}", parent)
        a.setShortcut(QKeySequence(key))
        parent.addAction(a)
        actions[f"class_{key}"] = a
    actions["toggle_masks"].setChecked(True)
    return actions
