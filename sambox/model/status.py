"""An image's place in the annotation workflow, as shown in the image list."""

from __future__ import annotations

from enum import Enum


class ImageStatus(Enum):
    NOT_STARTED = "not started"
    IN_PROGRESS = "in progress"
    DONE = "done"
    PREDICTED = "predicted, not reviewed"
    ERROR = "error"

    @property
    def label(self) -> str:
        return self.value

    @property
    def short(self) -> str:
        """The label in the image list's narrow column (the full label is its tooltip)."""
        return "to review" if self is ImageStatus.PREDICTED else self.value


def status_from(done: bool, predicted_unreviewed: bool) -> ImageStatus:
    """Status of an image whose annotation file exists and is valid."""
    if predicted_unreviewed:
        return ImageStatus.PREDICTED
    return ImageStatus.DONE if done else ImageStatus.IN_PROGRESS
