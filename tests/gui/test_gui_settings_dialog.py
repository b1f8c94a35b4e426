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
