"""The Settings dialog: the embedding cache's size limit is shown and stored."""

from __future__ import annotations

from sambox.widgets.dialogs import SettingsDialog


def test_cache_size_limit_is_shown_stored_and_reloads_the_engine(qtbot, settings) -> None:
    settings.cache_max_gb = 2.5
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    assert dialog.cache_max_gb.value() == 2.5
    assert dialog.apply(settings) is False  # nothing changed: no reload
    dialog.cache_max_gb.setValue(40.0)
    assert dialog.apply(settings) is True  # the engine's cache must be rebuilt
    assert settings.cache_max_gb == 40.0
    dialog.cache_max_gb.setValue(0.0)  # shown as the default
    assert "default" in dialog.cache_max_gb.text()
    assert dialog.apply(settings) is True and settings.cache_max_gb is None
    again = SettingsDialog(settings)
    qtbot.addWidget(again)
    assert again.cache_max_gb.value() == 0.0


def test_ok_without_edits_keeps_values_the_box_cannot_show(qtbot, settings) -> None:
    """0 (no disk cache) and 0.004 GiB are shown rounded; OK without editing keeps them and
    does not reload the engine."""
    for stored in (0.0, 0.004, 0.125):
        settings.cache_max_gb = stored
        dialog = SettingsDialog(settings)
        qtbot.addWidget(dialog)
        assert dialog.apply(settings) is False
        assert settings.cache_max_gb == stored


def test_bad_stored_cache_limit_is_reported_and_the_default_used(qtbot, settings) -> None:
    from gui_helpers import dismiss_errors, make_window, shown_errors, start_engine

    settings.q.setValue("sam/cache_max_gb", "inf")
    w = make_window(qtbot, settings)
    start_engine(qtbot, w)  # loads with the default limit instead of failing
    errors = shown_errors(w)
    assert any("sam/cache_max_gb" in e and "'inf'" in e for e in errors), errors
    dismiss_errors(w)
    w.close()


def test_bad_environment_is_reported_not_raised(qtbot, settings, monkeypatch) -> None:
    from gui_helpers import WAIT_MS, make_window

    monkeypatch.setenv("SAMIC_CACHE_MAX_GB", "-5")
    w = make_window(qtbot, settings)
    states: list[tuple[str, str]] = []
    w.session.engine_state.connect(lambda state, text: states.append((state, text)))
    with qtbot.waitSignal(w.service.engine_failed, timeout=WAIT_MS):
        w.session.start_engine()
    assert states[-1][0] == "failed" and "SAMIC_CACHE_MAX_GB" in states[-1][1], states
    assert "'-5'" in states[-1][1]
    settings.checkpoint = None  # the downloaded checkpoint is looked up under SAMIC_HOME
    monkeypatch.setenv("SAMIC_HOME", "~no_such_user_samic_test")
    w.session.start_engine()
    assert states[-1][0] == "failed" and "SAMIC_HOME" in states[-1][1], states
    w.close()
