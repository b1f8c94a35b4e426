"""SamicNet: the in-context heat-map predictor, composed of a frozen backbone and a learner.

Given a reference image with its heat map and a target image (all at S x S), it predicts the
target's heat map (paper section 3.3). `forward` returns logits; `to_heatmap` turns them into the
normalised map the losses and the predictor use.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from samic_core.errors import SamicError
from samic_core.model.appearance import stage_ends
from samic_core.model.backbone import FrozenResNetFeatures
from samic_core.model.correlation import SUPPORT_RESIZE_MODES, hypercorrelation
from samic_core.model.learner import HPNLearner
from samic_core.model.presence import evidence_deficit, gated_logits, prompt_evidence

OUTPUTS = ("softmax", "sigmoid")
SIZE_MULTIPLE = 32  # the ResNet's total stride: the pyramid levels must tile S exactly


def check_image_size(size: int) -> int:
    """S must be a multiple of 32 and at least 64, so every pyramid level is at least 2 x 2."""
    if size < 64 or size % SIZE_MULTIPLE:
        raise SamicError(f"image size must be a multiple of {SIZE_MULTIPLE} >= 64, got {size}")
    return size


class SamicNet(nn.Module):
    """Reference image + heat map + target image -> target heat-map logits.

    Arguments:
      backbone: the frozen feature extractor.
      learner: the trainable 4D/2D network.
      image_size: S; inputs must be (B, 3, S, S).
      output: "sigmoid" (per pixel; the default, see docs/model.md) or "softmax" (spatial
        softmax over the S*S pixels).
      support_resize: how the reference heat map is brought to each feature size ("max" or
        "bilinear", see correlation.resize_heatmap).
    """

    def __init__(
        self,
        backbone: FrozenResNetFeatures,
        learner: HPNLearner,
        *,
        image_size: int = 224,
        output: str = "sigmoid",
        support_resize: str = "max",
    ) -> None:
        super().__init__()
        if output not in OUTPUTS:
            raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}")
        if support_resize not in SUPPORT_RESIZE_MODES:
            raise ValueError(f"support_resize must be one of {SUPPORT_RESIZE_MODES}")
        self.backbone = backbone
        self.learner = learner
        self.image_size = check_image_size(image_size)
        self.output = output
        self.support_resize = support_resize
        # share of training samples whose pixel cue is zeroed, so the model also works without
        # it and the trainer can keep or drop the cue per folder (train/cue_choice.py), drawn
        # from `pixel_cue_rng` (the trainer seeds it per epoch); not saved
        self.pixel_cue_drop = 0.0
        self.pixel_cue_rng: torch.Generator | None = None
        # False: run as if without the pixel cue, while `extract` still hands on the images, so
        # cached and fresh feature lists stay alike (train/cue_choice.py); not saved
        self.pixel_cue_on = True

    @property
    def device(self) -> torch.device:
        return next(self.learner.parameters()).device

    def _check_input(self, images: torch.Tensor) -> None:
        s = self.image_size
        if images.ndim != 4 or images.shape[1] != 3 or tuple(images.shape[2:]) != (s, s):
            raise SamicError(
                f"this model was trained at {s}x{s} input and needs images of shape "
                f"(B, 3, {s}, {s}), got {tuple(images.shape)}; resize the images to {s}x{s} "
                f"or train a model with --image-size {images.shape[-1]}"
            )

    def extract(self, images: torch.Tensor) -> list[torch.Tensor]:
        """(B, 3, S, S) RGB in [0, 1] -> the backbone's per-bottleneck features (no gradient),
        then, for a model with a pixel cue, the normalised images themselves (B, 3, S, S): the
        cue's stem learns from them, and they travel, are cached and flipped with the rest."""
        self._check_input(images)
        feats = self.backbone(images)
        if self.learner.pixel_cue is not None:
            feats.append((images - self.backbone.mean) / self.backbone.std)
        return feats

    def _backbone_part(self, feats: list[torch.Tensor]) -> list[torch.Tensor]:
        """The backbone's features of an `extract` list, without the pixel cue's images."""
        return feats[: sum(self.backbone.stage_sizes)]

    def forward_features(
        self,
        target_feats: list[torch.Tensor],
        reference_feats: list[torch.Tensor],
        reference_heat: torch.Tensor,
    ) -> torch.Tensor:
        """Logits (B, S, S) from precomputed features and the reference heat map (B, S, S),
        gated by the presence gate when the model has one."""
        logits, presence = self.forward_parts(target_feats, reference_feats, reference_heat)
        return logits if presence is None else gated_logits(logits, presence)

    def forward_parts(
        self,
        target_feats: list[torch.Tensor],
        reference_feats: list[torch.Tensor],
        reference_heat: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(map logits (B, S, S) before the gate, presence logits (B,) or None): training fits
        the map and the gate with their own losses (train/step.py)."""
        s = self.image_size
        if tuple(reference_heat.shape[1:]) != (s, s):
            raise SamicError(
                f"reference heat map must be (B, {s}, {s}), got {tuple(reference_heat.shape)}"
            )
        pixels = None
        if self.learner.pixel_cue is not None:
            n = sum(self.backbone.stage_sizes) + 1
            if len(target_feats) != n or len(reference_feats) != n:
                raise SamicError(
                    f"this model has a pixel cue and needs {n} feature maps per image (its own "
                    f"extract's), got {len(target_feats)} and {len(reference_feats)}"
                )
            if self.pixel_cue_on:
                pixels = self.learner.pixel_cue(
                    target_feats[-1], reference_feats[-1], reference_heat, self.support_resize
                )  # (B, 64, S/4, S/4)
            if pixels is not None and self.training and self.pixel_cue_drop > 0:
                rng = self.pixel_cue_rng  # (B,) draws on the generator's device
                draw = torch.rand(
                    pixels.shape[0], generator=rng, device=None if rng is None else rng.device
                )
                keep = (draw >= self.pixel_cue_drop).to(pixels.device, pixels.dtype)
                pixels = pixels * keep[:, None, None, None]
        target_feats = self._backbone_part(target_feats)
        reference_feats = self._backbone_part(reference_feats)
        with torch.no_grad():
            pyramid = hypercorrelation(
                target_feats,
                reference_feats,
                reference_heat,
                self.backbone.stage_sizes,
                self.support_resize,
            )
        cue = None
        if self.learner.appearance is not None:
            ends = stage_ends(self.backbone.stage_sizes)
            cue = self.learner.appearance(
                [target_feats[i] for i in ends],
                [reference_feats[i] for i in ends],
                reference_heat,
                self.support_resize,
            )  # (B, 64, S/8, S/8)
        logits = self.learner(pyramid, cue, pixels)  # (B, 1, S/4, S/4)
        logits = F.interpolate(logits, (s, s), mode="bilinear", align_corners=True)[:, 0]
        if self.learner.presence is None:
            return logits, None
        return logits, self.presence_logits(target_feats, reference_feats, reference_heat)

    def presence_logits(
        self,
        target_feats: list[torch.Tensor],
        reference_feats: list[torch.Tensor],
        reference_heat: torch.Tensor,
    ) -> torch.Tensor:
        """(B,) logits of "the target holds the reference's object" (needs a gate); backbone
        features only, no learner pass."""
        deficit = self.evidence_deficit(target_feats, reference_feats, reference_heat)
        return self.presence_from_deficit(deficit)

    def presence_from_deficit(self, deficit: torch.Tensor) -> torch.Tensor:
        """(B, L) evidence deficits -> (B,) presence logits (needs a gate): the gate's only
        learnable step, so training can keep the deficits of pairs it sees again."""
        if self.learner.presence is None:
            raise SamicError("this model has no presence gate")
        with torch.autocast(deficit.device.type, enabled=False):
            return self.learner.presence(deficit)  # float32 also under bf16 autocast

    def evidence_deficit(
        self,
        target_feats: list[torch.Tensor],
        reference_feats: list[torch.Tensor],
        reference_heat: torch.Tensor,
    ) -> torch.Tensor:
        """(B, L): per layer, how much worse the target matches the reference's prompted region
        than the reference itself does (presence.py); in float32, also under autocast."""
        device_type = reference_heat.device.type
        with torch.no_grad(), torch.autocast(device_type, enabled=False):
            t = [f.float() for f in self._backbone_part(target_feats)]
            r = [f.float() for f in self._backbone_part(reference_feats)]
            heat = reference_heat.float()
            mode = self.support_resize
            return evidence_deficit(*prompt_evidence(t, r, heat, mode))

    def forward(
        self, target: torch.Tensor, reference: torch.Tensor, reference_heat: torch.Tensor
    ) -> torch.Tensor:
        """target, reference: (B, 3, S, S) in [0, 1]; reference_heat: (B, S, S) -> logits."""
        return self.forward_features(self.extract(target), self.extract(reference), reference_heat)

    def to_heatmap(self, logits: torch.Tensor) -> torch.Tensor:
        """Logits (B, S, S) -> non-negative map (B, S, S): a distribution or per-pixel values."""
        if self.output == "softmax":
            b = logits.shape[0]
            return torch.softmax(logits.reshape(b, -1), dim=1).reshape(logits.shape)
        return torch.sigmoid(logits)
