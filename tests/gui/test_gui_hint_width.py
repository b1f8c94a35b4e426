"""Every confidence hint fits, whole, in the bar of a window at its default width: the advice
("…on what the mask wrongl…") must not be cut off where the annotator reads it."""

from __future__ import annotations

import numpy as np
import pytest
from gui_helpers import make_window
from PySide6.QtWidgets import QApplication

from sambox.model.document import ObjectState, PromptKey

DEFAULT_WIDTH = 1250  # narrower than the app's 1440 px default, as on a small screen
PTS = ((10.0, 10.0, True), (20.0, 20.0, True), (30.0, 30.0, False))
HISTORIES = {  # kind: (confidence after each prompt, edited by hand, a word of its hint)
    "fell": ((0.9, 0.585), False, "fell"),
    "low": ((0.121, 0.121, 0.121), False, "Low confidence"),
    "saturated": ((0.85, 0.852, 0.853), False, "Saturated"),
    "rising": ((0.6, 0.8), False, "Still rising"),
    "first": ((0.6,), False, "Ambiguous"),  # a single click with SAM's 3 candidates
    "edited": ((0.6, 0.8), True, "edited by hand"),
}


def _object(history: tuple[float, ...], edited: bool) -> ObjectState:
    points = PTS[: len(history)]
    return ObjectState(
        1, "disc", points=points, mask=np.ones((4, 4), bool), score=history[-1],
        mask_key=PromptKey(points, None, None), history=history, edited=edited,
        candidate_scores=(0.5, 0.6, 0.7) if len(points) == 1 else (),
    )  # fmt: skip


@pytest.mark.parametrize("kind", list(HISTORIES))
def test_each_hint_fits_at_the_default_width(qtbot, settings, kind):
    window = make_window(qtbot, settings)
    window.resize(DEFAULT_WIDTH, 800)
    QApplication.processEvents()
    bar = window.confidence
    history, edited, word = HISTORIES[kind]
    bar.show_object(_object(history, edited))
    QApplication.processEvents()
    hint = bar.hint
    assert hint.width() < DEFAULT_WIDTH  # it is laid out inside the window
    shown = hint.text()
    full = hint.toolTip() or shown
    assert word in full, full
    assert "…" not in shown and hint.toolTip() == "", f"cut off at {hint.width()} px: {full!r}"
