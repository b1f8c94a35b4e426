"""Quitting while SAM encodes in the background: once the work is saved the window goes away at
once; waiting for the encoder's block in progress (up to ~10 s for vit_b on a busy CPU) happens
with no frozen window on screen."""

from __future__ import annotations

from gui_helpers import WAIT_MS, click


def test_window_is_hidden_before_waiting_for_background_work(qtbot, window):
    click(qtbot, window, 80, 120)
    qtbot.waitUntil(lambda: window.editor.current.mask is not None, timeout=WAIT_MS)
    seen: list[bool] = []
    original = window.service.shutdown

    def shutdown(*args, **kwargs):
        seen.append(window.isVisible())
        return original(*args, **kwargs)

    window.service.shutdown = shutdown
    assert window.close()
    assert seen == [False]  # hidden before the wait
    assert window.editor.doc.dirty is False  # and the work was saved first


def test_window_stays_when_quitting_is_cancelled(qtbot, window, monkeypatch):
    from sambox.controllers.session import CANCEL

    window.settings.autosave = False
    click(qtbot, window, 80, 120)
    qtbot.waitUntil(lambda: window.editor.current.mask is not None, timeout=WAIT_MS)
    monkeypatch.setattr(window.session, "ask_save", lambda _name: CANCEL)
    assert not window.close()
    assert window.isVisible()
