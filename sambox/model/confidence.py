"""When to stop clicking: SAM's predicted IoU has saturated (paper section 3.1 and appendix B).

Confidence rises as prompts cover more parts of an object and then levels off; we call it
saturated when it is near 1, or when the last two prompts each raised it by less than a hair.
"""

from __future__ import annotations

from collections.abc import Sequence

SATURATED_SCORE = 0.95  # "nearly 1"
PLATEAU_GAIN = 0.01  # a prompt that adds less than this did not help


def is_saturated(history: Sequence[float]) -> bool:
    """history: the confidence after 1, 2, ... prompts of one object."""
    if not history:
        return False
    if history[-1] >= SATURATED_SCORE:
        return True
    if len(history) < 3:
        return False
    gains = (history[-1] - history[-2], history[-2] - history[-3])
    return all(g < PLATEAU_GAIN for g in gains)


def trend(history: Sequence[float]) -> float | None:
    """Change of confidence from the last prompt, or None after the first."""
    return history[-1] - history[-2] if len(history) >= 2 else None
