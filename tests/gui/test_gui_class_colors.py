"""Per-class colours in the window: swatches, overlay in the class colour, a chosen colour
persisted in annotations/class_colors.json, and a damaged file reported, never overwritten."""

from __future__ import annotations

import json

from gui_helpers import click, dismiss_errors, make_window, open_folder, shown_errors
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QColorDialog

from samic_core.annotation.colors import auto_color


def fill_colour(window, x: int, y: int) -> tuple[int, int, int]:
    c = window.canvas._fill.pixmap().toImage().pixelColor(x, y)
    return c.red(), c.green(), c.blue()


def test_objects_are_drawn_in_their_class_colour(qtbot, window):
    window.project.add_class("dog")
    click(qtbot, window, 80, 120)
    obj = window.editor.current
    ys, xs = obj.mask.nonzero()
    x, y = int(xs[len(xs) // 2]), int(ys[len(ys) // 2])
    first = QColor(auto_color(0))
    assert fill_colour(window, x, y) == (first.red(), first.green(), first.blue())
    window.editor.set_label("dog")
    second = QColor(auto_color(1))
    assert fill_colour(window, x, y) == (second.red(), second.green(), second.blue())
    item = window.classes_panel.list.item(1)
    assert not item.icon().isNull() and auto_color(1) in item.toolTip()


def test_chosen_colour_is_saved_and_comes_back(qtbot, window, settings, monkeypatch):
    click(qtbot, window, 80, 120)
    obj = window.editor.current
    ys, xs = obj.mask.nonzero()
    x, y = int(xs[0]), int(ys[0])
    monkeypatch.setattr(QColorDialog, "getColor", lambda *a, **k: QColor("#123456"))
    window.classes_panel.choose_color("object")
    path = window.project.store.dir / "class_colors.json"
    assert json.loads(path.read_text()) == {"object": "#123456"}
    assert fill_colour(window, x, y) == (0x12, 0x34, 0x56)
    folder = window.project.folder
    window.session.save()
    window.close()
    again = make_window(qtbot, settings)  # a new session on the same folder
    again.session.start_engine()
    open_folder(qtbot, again, folder)
    assert again.class_colors.color("object") == "#123456"
    assert "#123456" in again.classes_panel.list.item(0).toolTip()
    again.close()


def test_damaged_colour_file_is_reported_and_left_alone(qtbot, settings, image_folder, monkeypatch):
    path = image_folder / "annotations" / "class_colors.json"
    path.parent.mkdir()
    path.write_text("{oops")
    w = make_window(qtbot, settings)
    w.session.open_folder(image_folder)
    assert any("class_colors.json" in e and "malformed JSON" in e for e in shown_errors(w))
    dismiss_errors(w)
    assert w.class_colors.color("object") == auto_color(0)
    monkeypatch.setattr(QColorDialog, "getColor", lambda *a, **k: QColor("#654321"))
    w.classes_panel.choose_color("object")
    assert w.class_colors.color("object") == "#654321"  # used in this session
    assert path.read_text() == "{oops"  # but the user's file is not overwritten
    assert "not overwritten" in shown_errors(w)[-1]
    dismiss_errors(w)
    w.close()


def test_renaming_a_class_keeps_its_chosen_colour(qtbot, window, monkeypatch):
    monkeypatch.setattr(QColorDialog, "getColor", lambda *a, **k: QColor("#00ff00"))
    window.classes_panel.choose_color("object")
    window._rename_class("object", "leaf")
    path = window.project.store.dir / "class_colors.json"
    assert json.loads(path.read_text()) == {"leaf": "#00ff00"}
    assert window.class_colors.color("leaf") == "#00ff00"


def test_deeply_nested_colour_file_is_reported_and_never_rewritten(
    qtbot, settings, image_folder, monkeypatch
):
    path = image_folder / "annotations" / "class_colors.json"
    path.parent.mkdir()
    text = '{"object": ' + "[" * 100_000 + "]" * 100_000 + "}"
    path.write_text(text)
    w = make_window(qtbot, settings)
    w.session.open_folder(image_folder)
    errors = shown_errors(w)
    assert any(str(path) in e and "nested too deeply" in e for e in errors), errors
    dismiss_errors(w)
    assert w.class_colors.color("object") == auto_color(0)
    monkeypatch.setattr(QColorDialog, "getColor", lambda *a, **k: QColor("#654321"))
    w.classes_panel.choose_color("object")
    assert w.class_colors.color("object") == "#654321"  # used in this session
    assert path.read_text() == text  # the damaged file is kept as it is
    assert "not overwritten" in shown_errors(w)[-1]
    dismiss_errors(w)
    w.close()


def test_colour_file_damaged_after_opening_is_not_overwritten(qtbot, window, monkeypatch):
    path = window.project.store.dir / "class_colors.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text('{"object": "#0000ff", "dog": ')  # e.g. being edited by hand meanwhile
    monkeypatch.setattr(QColorDialog, "getColor", lambda *a, **k: QColor("#654321"))
    window.classes_panel.choose_color("object")
    assert path.read_text() == '{"object": "#0000ff", "dog": '
    assert window.class_colors.color("object") == "#654321"
    assert any("not overwritten" in e for e in shown_errors(window))
    dismiss_errors(window)


def test_colours_chosen_elsewhere_meanwhile_are_kept(qtbot, window, monkeypatch):
    path = window.project.store.dir / "class_colors.json"
    path.parent.mkdir(exist_ok=True)
    window.project.add_class("dog")
    path.write_text('{"dog": "#0000ff"}')  # another window on the same folder chose it
    monkeypatch.setattr(QColorDialog, "getColor", lambda *a, **k: QColor("#654321"))
    window.classes_panel.choose_color("object")
    assert json.loads(path.read_text()) == {"dog": "#0000ff", "object": "#654321"}
