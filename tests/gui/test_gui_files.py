"""Saving, reopening, autosave on switch, and damaged files (with the real tiny SAM)."""

from __future__ import annotations

import json

import numpy as np
from gui_helpers import (
    click,
    dismiss_errors,
    key,
    make_window,
    open_folder,
    points_of,
    shown_errors,
    start_engine,
    view_pos,
    visible_names,
)
from PySide6.QtCore import Qt

from sambox.controllers.session import CANCEL, DISCARD
from sambox.model.status import ImageStatus
from samic_core.annotation import AnnotationStore


def test_save_then_reopen_restores_everything(qtbot, settings, image_folder):
    w = make_window(qtbot, settings)
    start_engine(qtbot, w)
    open_folder(qtbot, w, image_folder)
    first = click(qtbot, w, 80, 120)
    click(qtbot, w, 200, 200, modifier=Qt.KeyboardModifier.ShiftModifier)
    key(qtbot, w, "N")
    w.project.add_class("blob")
    key(qtbot, w, "2")
    second = click(qtbot, w, 230, 110)
    before = w.editor.doc
    key(qtbot, w, "Ctrl+S")
    assert not before.dirty
    store = AnnotationStore(image_folder)
    saved = store.load("a.png")
    assert [o.label for o in saved.annotation.objects] == ["object", "blob"]
    assert saved.annotation.objects[0].candidate is None  # 2 points: single-mask output
    assert saved.annotation.sam_model == w.service.model_id
    assert np.array_equal(saved.instances, before.instances())
    assert first.mask.any() and second.mask.any()
    w.close()

    w2 = make_window(qtbot, settings)  # reopen: no engine needed to get masks back
    w2.session.open_folder(image_folder)
    doc = w2.editor.doc
    assert doc.name == "a.png" and not doc.dirty and doc.locked is None
    assert [o.id for o in doc.objects] == [1, 2]
    for old, new in zip(before.objects, doc.objects, strict=True):
        assert points_of(new) == points_of(old) and new.label == old.label
        assert new.score == old.score and not new.needs_decode
    assert np.array_equal(doc.instances(), before.instances())
    assert w2.editor.pending_count == 0
    assert w2.image_list.status("a.png") == ImageStatus.IN_PROGRESS
    w2.close()


def test_switching_images_autosaves(qtbot, window, image_folder):
    click(qtbot, window, 80, 120)
    store = AnnotationStore(image_folder)
    assert not store.exists("a.png")
    key(qtbot, window, "D")
    assert window.session.current == "b.png"
    assert store.exists("a.png")
    assert len(store.load("a.png").annotation.objects) == 1
    assert window.image_list.status("a.png") == ImageStatus.IN_PROGRESS
    key(qtbot, window, "A")
    assert window.session.current == "a.png"
    assert len(window.editor.doc.objects) == 1
    key(qtbot, window, "Right")
    assert window.session.current == "b.png"
    key(qtbot, window, "Left")
    assert window.session.current == "a.png"


def test_mark_done_and_next(qtbot, window, image_folder):
    click(qtbot, window, 80, 120)
    key(qtbot, window, "Ctrl+Return")
    assert window.session.current == "b.png"
    assert AnnotationStore(image_folder).load_json("a.png").done
    assert window.image_list.status("a.png") == ImageStatus.DONE
    window.image_list.status_filter.setCurrentIndex(
        window.image_list.status_filter.findData(ImageStatus.DONE)
    )
    assert visible_names(window.image_list) == ["a.png"]
    window.image_list.status_filter.setCurrentIndex(0)
    window.image_list.search.setText("c")
    assert visible_names(window.image_list) == ["c.png"]


def test_close_waits_for_the_pending_mask_and_saves(qtbot, settings, image_folder):
    w = make_window(qtbot, settings)
    start_engine(qtbot, w)
    open_folder(qtbot, w, image_folder)
    qtbot.mouseClick(w.canvas.viewport(), Qt.MouseButton.LeftButton, pos=view_pos(w, 80, 120))
    w.close()  # the decode is still in flight
    saved = AnnotationStore(image_folder).load("a.png")
    assert saved.annotation.objects[0].score is not None
    assert (saved.instances == 1).any()


def test_autosave_off_asks_before_leaving(qtbot, window, image_folder):
    window.settings.autosave = False
    asked = []
    window.session.ask_save = lambda name: asked.append(name) or CANCEL
    click(qtbot, window, 80, 120)
    key(qtbot, window, "D")
    assert asked == ["a.png"] and window.session.current == "a.png"  # cancelled: stay
    window.session.ask_save = lambda name: DISCARD
    key(qtbot, window, "D")
    assert window.session.current == "b.png"
    assert not AnnotationStore(image_folder).exists("a.png")


def test_corrupt_annotation_is_reported_and_never_overwritten(qtbot, window, image_folder):
    bad = image_folder / "annotations" / "b.json"
    bad.parent.mkdir(exist_ok=True)
    bad.write_text('{"schema_version": 1, "image": "b.png", "objects": [', encoding="utf-8")
    original = bad.read_bytes()
    key(qtbot, window, "D")
    assert window.session.current == "b.png"
    assert shown_errors(window) and str(bad) in shown_errors(window)[-1]
    assert dismiss_errors(window) == 1  # shown in a dialog
    doc = window.editor.doc
    assert doc.locked
    qtbot.mouseClick(window.canvas.viewport(), Qt.MouseButton.LeftButton)
    assert doc.objects == ()  # read-only: prompts are refused
    key(qtbot, window, "Ctrl+S")
    assert "read-only" in shown_errors(window)[-1] and dismiss_errors(window) == 1
    key(qtbot, window, "D")
    assert window.session.current == "c.png"  # the app keeps running
    window.close()
    assert bad.read_bytes() == original
    assert window.image_list.status("b.png") == ImageStatus.ERROR


def test_unreadable_image_shows_an_error_naming_it(qtbot, window, image_folder):
    broken = image_folder / "b.png"
    broken.write_bytes(b"not an image at all")
    key(qtbot, window, "D")
    assert window.session.current == "a.png"  # stays on a readable image
    assert str(broken) in shown_errors(window)[-1]
    assert dismiss_errors(window) == 1
    assert window.image_list.status("b.png") == ImageStatus.ERROR
    window.session.open_image("c.png")
    assert window.session.current == "c.png"
    click(qtbot, window, 100, 150)  # annotation goes on


def test_class_rename_and_remove_update_saved_files(qtbot, window, image_folder):
    click(qtbot, window, 80, 120)
    key(qtbot, window, "Ctrl+S")
    project = window.project
    assert project.add_class("spare")
    assert project.rename_class("object", "blob")
    window.editor.rename_label("object", "blob")  # what the panel's rename does next
    store = AnnotationStore(image_folder)
    assert store.load_classes() == ["blob", "spare"]
    assert store.load_json("a.png").objects[0].label == "blob"
    assert window.editor.current.label == "blob"
    assert not project.remove_class("blob", window.editor.doc)  # in use: refused
    assert "blob" in shown_errors(window)[-1]
    assert project.remove_class("spare", window.editor.doc)
    assert json.loads(store.classes_path.read_text()) == ["blob"]
    assert window.classes_panel.list.count() == 1


def _gate_decoder(w):
    """Hold every mask decode until the returned event is set (a slow CPU, in effect)."""
    import threading

    decoder = w.service.engine.sam.mask_decoder
    original = decoder.forward
    release = threading.Event()

    def gated(*args, **kwargs):
        assert release.wait(30)
        return original(*args, **kwargs)

    decoder.forward = gated
    return release


def test_opening_another_folder_while_a_mask_is_computing(qtbot, window, image_folder, tmp_path):
    """The pending mask lands in this folder's file; the other folder's same-named file is kept."""
    import shutil

    from PySide6.QtCore import QTimer

    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(image_folder / "a.png", other / "a.png")
    (other / "annotations").mkdir()
    (other / "annotations" / "a.json").write_text("{not ours}")  # must survive untouched
    release = _gate_decoder(window)
    qtbot.mouseClick(
        window.canvas.viewport(), Qt.MouseButton.LeftButton, pos=view_pos(window, 80, 120)
    )
    assert window.editor.pending_count == 1
    QTimer.singleShot(300, release.set)
    window.session.open_folder(other)  # waits for the mask (events keep flowing), then switches
    assert (other / "annotations" / "a.json").read_text() == "{not ours}"
    saved = AnnotationStore(image_folder).load("a.png")
    (obj,) = saved.annotation.objects
    assert [(round(p.x), round(p.y), p.positive) for p in obj.points] == [(80, 120, True)]
    assert saved.instances.any()  # the mask that was computing is in the file
    dismiss_errors(window)


def test_no_autosave_save_answer_waits_for_the_pending_mask(qtbot, settings, image_folder):
    from PySide6.QtCore import QTimer

    from sambox.controllers.session import SAVE

    settings.autosave = False
    w = make_window(qtbot, settings)
    start_engine(qtbot, w)
    open_folder(qtbot, w, image_folder)
    w.session.ask_save = lambda name: SAVE
    release = _gate_decoder(w)
    qtbot.mouseClick(w.canvas.viewport(), Qt.MouseButton.LeftButton, pos=view_pos(w, 80, 120))
    QTimer.singleShot(300, release.set)
    key(qtbot, w, "D")
    assert w.session.current == "b.png"
    saved = AnnotationStore(image_folder).load("a.png")
    assert saved.annotation.objects and saved.instances.any()
    w.close()


def test_project_never_saves_a_document_of_another_folder(qtbot, window, image_folder, tmp_path):
    doc = window.editor.doc
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "a.png").write_bytes((image_folder / "a.png").read_bytes())
    window.project.open_folder(other)
    with qtbot.waitSignal(window.project.error, timeout=5000) as blocker:
        assert window.project.save(doc, None) is False
    assert "not in the open folder" in blocker.args[0]
    assert not AnnotationStore(other).exists("a.png")


def test_reopening_a_folder_shows_the_image_last_shown_there(qtbot, settings, image_folder):
    """A restart picks up where the annotator left off; a removed image falls back to the first."""
    from sambox.settings import AppSettings

    w = make_window(qtbot, settings)
    w.session.open_folder(image_folder)
    names = [p.name for p in w.project.images]
    assert w.editor.doc.name == names[0]
    w.session.open_image(names[-1])
    w.close()
    settings.q.sync()
    again = AppSettings.from_file(settings.q.fileName())  # a new process reads the file
    w2 = make_window(qtbot, again)
    w2.session.open_folder(image_folder)
    assert w2.editor.doc.name == names[-1]
    w2.close()
    (image_folder / names[-1]).unlink()
    w3 = make_window(qtbot, AppSettings.from_file(settings.q.fileName()))
    w3.session.open_folder(image_folder)
    assert w3.editor.doc.name == names[0]
    w3.close()
