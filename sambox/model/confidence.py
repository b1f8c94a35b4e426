"""When to stop clicking: SAM's predicted IoU has saturated (paper section 3.1 and appendix B).

Confidence rises as prompts cover more parts of an object and then levels off; we call it
saturated when it is near 1, or when the last two prompts each raised it by less than a hair
while it is already high. A plateau at a low value is not saturation: the prompts are not
reaching the object, so `advice` suggests another kind of prompt instead. A drop is a drop,
never "still rising".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

SATURATED_SCORE = 0.95  # "nearly 1"
PLATEAU_GAIN = 0.01  # a prompt that adds less than this did not help
LOW_SCORE = 0.7  # a plateau below this is a stuck segmentation, not a saturated one

Advice = Literal["none", "saturated", "low", "fell", "rising", "first"]


def _plateau(history: Sequence[float]) -> bool:
    if len(history) < 3:
        return False
    gains = (history[-1] - history[-2], history[-2] - history[-3])
    return all(abs(g) < PLATEAU_GAIN for g in gains)


def is_saturated(history: Sequence[float]) -> bool:
    """history: the confidence after 1, 2, ... prompts of one object."""
    if not history:
        return False
    if history[-1] >= SATURATED_SCORE:
        return True
    return history[-1] >= LOW_SCORE and _plateau(history)


def trend(history: Sequence[float]) -> float | None:
    """Change of confidence from the last prompt, or None after the first."""
    return history[-1] - history[-2] if len(history) >= 2 else None


def format_score(score: float | None, digits: int = 3) -> str:
    """SAM's predicted IoU for display, clamped to 0..1 (the raw value can be slightly < 0)."""
    return "—" if score is None else f"{min(1.0, max(0.0, score)):.{digits}f}"


def advice(history: Sequence[float]) -> tuple[Advice, str]:
    """What the annotator should do next, from the confidence after each prompt; one short line
    each, so it fits whole in the bar of a default-size window (the score is shown beside it)."""
    if not history:
        return "none", "Click the object to segment (right click: not the object)."
    if is_saturated(history):
        return "saturated", "✓ Saturated: more points will not help. N starts the next object."
    delta = trend(history)
    if delta is not None and delta <= -PLATEAU_GAIN:
        return "fell", (
            f"Confidence fell by {-delta:.3f}: Backspace drops the last point, "
            "or click where it is wrong."
        )
    if _plateau(history) or (len(history) >= 2 and history[-1] < LOW_SCORE / 2):
        return "low", (
            "Low confidence: try a box (Ctrl+drag), or right-click what the mask wrongly covers."
        )
    if delta is None:
        return "first", "Add a point on a part the mask misses or overshoots."
    return "rising", "Still rising: add a point on a part the mask misses or overshoots."
