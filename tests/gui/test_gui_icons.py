"""Toolbar actions show an icon from resources/icons with their text under it."""

from __future__ import annotations

from gui_helpers import make_window
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolButton

from sambox.widgets.menus import TOOLBAR
from sambox.widgets.samic_ui import TOOLBAR_ACTIONS


def test_toolbar_actions_have_icons_and_text(qtbot, settings):
    w = make_window(qtbot, settings)  # no engine needed: the toolbar is built up front
    assert w.toolbar.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonTextUnderIcon
    for name in [*(t for t in TOOLBAR if t), *TOOLBAR_ACTIONS]:
        action = w.actions[name]
        assert not action.icon().pixmap(24).isNull(), name  # the SVG was found and drawn
        assert action.text(), name
        button = w.toolbar.widgetForAction(action)
        assert isinstance(button, QToolButton), name  # on the toolbar (maybe in its » menu)
        assert button.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonTextUnderIcon
    w.close()
