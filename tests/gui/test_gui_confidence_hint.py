"""The confidence hint says what happened and what to do: a fall is not "still rising", a low
plateau is not "saturated", and negative confidences are shown clamped to 0."""

from __future__ import annotations

import numpy as np

from sambox.model.confidence import advice, format_score, is_saturated
from sambox.model.document import ObjectState, PromptKey
from sambox.widgets.confidence_bar import ConfidenceBar

PTS = ((10.0, 10.0, True), (20.0, 20.0, True), (30.0, 30.0, False))


def shown(qtbot, history: tuple[float, ...], edited: bool = False) -> ConfidenceBar:
    bar = ConfidenceBar()
    qtbot.addWidget(bar)
    bar.resize(2000, 60)  # room for the whole hint
    points = PTS[: len(history)]
    obj = ObjectState(
        1,
        "cat",
        points=points,
        mask=np.ones((4, 4), bool),
        mask_key=PromptKey(points, None, None),
        score=history[-1],
        history=history,
        edited=edited,
    )
    bar.show_object(obj)
    return bar


def hint_text(bar) -> str:
    """The hint's whole text: the tooltip holds it when the label had to shorten it."""
    return bar.hint.toolTip() or bar.hint.text()


def test_a_fall_is_reported_as_a_fall(qtbot):
    bar = shown(qtbot, (0.9, 0.585))
    text = hint_text(bar)
    assert "fell by 0.315" in text and "Still rising" not in text
    assert "Backspace" in text


def test_a_low_plateau_is_not_saturation(qtbot):
    history = (-0.03, -0.035, -0.04)
    assert not is_saturated(history)
    bar = shown(qtbot, history)
    text = hint_text(bar)
    assert "Saturated" not in text and "Low confidence" in text and "box" in text
    assert "-0.04" not in bar.score_label.text() and "0.000" in bar.score_label.text()
    assert format_score(-0.04) == "0.000" and format_score(1.2) == "1.000"


def test_high_plateau_and_near_one_are_saturated(qtbot):
    assert advice((0.8, 0.85, 0.852, 0.853))[0] == "saturated"
    assert advice((0.96,))[0] == "saturated"
    assert "Saturated" in hint_text(shown(qtbot, (0.85, 0.852, 0.853)))
    assert "Still rising" in hint_text(shown(qtbot, (0.6, 0.8)))


def test_an_edited_mask_says_so(qtbot):
    assert "edited by hand" in hint_text(shown(qtbot, (0.6, 0.8), edited=True))
