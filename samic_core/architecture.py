"""SAMIC's architecture as one value: what `build_samic` builds and what a model file records.

Plain data without torch (model metadata is read on the app's GUI thread). The fields are the
network's shape choices; the training choices (schedule, loss, flips) live in TrainConfig.
"""

from __future__ import annotations

from dataclasses import dataclass

from samic_core.config import DEFAULT_IMAGE_SIZE


@dataclass(frozen=True)
class Architecture:
    """backbone: the frozen ResNet; image_size: S of the S x S input; output: the head's
    normalisation ("sigmoid" | "softmax"); support_resize: reference heat map -> feature size
    ("max" | "bilinear"); squeeze_depth: 4D conv layers per squeeze block (paper table 5);
    presence: a presence gate (model/presence.py), which the paper does not have; appearance:
    an appearance cue beside the correlations (model/appearance.py), which it has neither;
    pixel_cue: a learned stem on the images beside them (model/pixel_cue.py), nor this."""

    backbone: str = "resnet50"
    image_size: int = DEFAULT_IMAGE_SIZE
    output: str = "sigmoid"
    support_resize: str = "max"
    squeeze_depth: int = 3
    presence: bool = False
    appearance: bool = False
    pixel_cue: bool = False

    def build_kwargs(self) -> dict[str, object]:
        """The keyword arguments of a registered builder (model/build.py), backbone aside."""
        return {
            "image_size": self.image_size,
            "output": self.output,
            "support_resize": self.support_resize,
            "squeeze_depth": self.squeeze_depth,
            "presence": self.presence,
            "appearance": self.appearance,
            "pixel_cue": self.pixel_cue,
        }
