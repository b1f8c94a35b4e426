"""HSNet's learnable part: 4D squeezing blocks, top-down mixing, and a 2D decoder.

Input: the hypercorrelation pyramid, deepest first, e.g. at S = 224 with ResNet-50
[(B, 3, 7, 7, 7, 7), (B, 6, 14, 14, 14, 14), (B, 4, 28, 28, 28, 28)].
Output: one-channel logits (B, 1, S/4, S/4); the composition root resizes them to S x S.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from samic_core.model.appearance import AppearanceCue
from samic_core.model.conv4d import CenterPivotConv4d
from samic_core.model.pixel_cue import PixelCue
from samic_core.model.presence import PresenceGate

GROUPS = 4  # GroupNorm groups after every 4D conv


SQUEEZE_DEPTHS = (1, 2, 3, 4)  # paper table 5: 4D conv layers per squeeze block (3 chosen)


class Conv4dBlock(nn.Sequential):
    """One or more x [CenterPivotConv4d -> GroupNorm(4) -> ReLU] (paper table 5: depth 3)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: Sequence[int],
        kernel_sizes: Sequence[int],
        strides: Sequence[int],
    ) -> None:
        if not len(out_channels) == len(kernel_sizes) == len(strides):
            raise ValueError("out_channels, kernel_sizes and strides must have the same length")
        layers: list[nn.Module] = []
        cin = in_channels
        for cout, k, s in zip(out_channels, kernel_sizes, strides, strict=True):
            layers += [CenterPivotConv4d(cin, cout, k, s), nn.GroupNorm(GROUPS, cout), nn.ReLU()]
            cin = cout
        super().__init__(*layers)


def upsample_query(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinearly resize the query dims of (B, C, Hq, Wq, Hs, Ws) to `size`, support kept."""
    b, c, _, _, hs, ws = x.shape
    y = x.permute(0, 1, 4, 5, 2, 3).reshape(b, c * hs * ws, *x.shape[2:4])
    y = F.interpolate(y, size, mode="bilinear", align_corners=True)
    return y.reshape(b, c, hs, ws, *size).permute(0, 1, 4, 5, 2, 3).contiguous()


def squeeze_schedule(
    kernels: Sequence[int], strides: Sequence[int], width: int, depth: int
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """(out_channels, kernels, strides) of a squeeze block with `depth` 4D conv layers.

    Depth 3 is HSNet's block: channels (16, 64, width) with the level's kernels and strides.
    Fewer layers keep the first depth - 1 of them and end with one `width` layer whose stride is
    the product of the dropped strides, so the support dims still shrink to HSNet's size; more
    layers append stride-1 `width` -> `width` layers with kernel 3 (table 5's ablation).
    """
    if depth not in SQUEEZE_DEPTHS:
        raise ValueError(f"squeeze depth must be one of {SQUEEZE_DEPTHS}, got {depth}")
    chans = (16, 64, width)
    if depth <= 3:
        last_stride = 1
        for s in strides[depth - 1 :]:
            last_stride *= s
        return (
            (*chans[: depth - 1], width),
            tuple(kernels[:depth]),
            (*strides[: depth - 1], last_stride),
        )
    extra = depth - 3
    return chans + (width,) * extra, tuple(kernels) + (3,) * extra, tuple(strides) + (1,) * extra


class HPNLearner(nn.Module):
    """Squeeze each pyramid level, merge top-down with mixing blocks, pool support, decode.

    Arguments:
      in_channels: layers per stage, deepest first: (3, 6, 4) for ResNet-50, (3, 23, 4) for 101.
      width: channels of the squeezed and mixed 4D features (128 in HSNet).
      squeeze_depth: 4D conv layers in each squeeze block (3 in HSNet; paper table 5).
      presence: hold a PresenceGate over the sum(in_channels) layers (its parameters live here so
        that the learner's state dict is the whole trained model; SamicNet applies it).
      appearance: hold an AppearanceCue over the stages' last features (`feature_channels`,
        shallowest first), whose output joins the decoder (model/appearance.py).
      pixel_cue: hold a PixelCue, a learned stem on the images, whose output joins the decoder
        at S/4 (model/pixel_cue.py).
    """

    def __init__(
        self,
        in_channels: Sequence[int] = (3, 6, 4),
        *,
        width: int = 128,
        squeeze_depth: int = 3,
        presence: bool = False,
        appearance: bool = False,
        pixel_cue: bool = False,
        feature_channels: Sequence[int] = (512, 1024, 2048),
    ) -> None:
        super().__init__()
        c4, c3, c2 = in_channels
        self.squeeze_depth = squeeze_depth
        d = squeeze_depth
        self.encoder_layer4 = Conv4dBlock(c4, *squeeze_schedule((3, 3, 3), (2, 2, 2), width, d))
        self.encoder_layer3 = Conv4dBlock(c3, *squeeze_schedule((5, 3, 3), (4, 2, 2), width, d))
        self.encoder_layer2 = Conv4dBlock(c2, *squeeze_schedule((5, 5, 3), (4, 4, 2), width, d))
        self.encoder_layer4to3 = Conv4dBlock(width, (width,) * 3, (3, 3, 3), (1, 1, 1))
        self.encoder_layer3to2 = Conv4dBlock(width, (width,) * 3, (3, 3, 3), (1, 1, 1))
        self.decoder1 = nn.Sequential(
            nn.Conv2d(width, width, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(width, 64, 3, padding=1),
            nn.ReLU(),
        )
        self.decoder2 = nn.Sequential(
            nn.Conv2d(64, 64, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(64, 1, 3, padding=1),  # one-channel head: logits of the heat map
        )
        self.presence = PresenceGate(sum(in_channels)) if presence else None
        self.appearance = AppearanceCue(feature_channels, 64) if appearance else None
        self.pixel_cue = PixelCue(64) if pixel_cue else None

    def gate_parameters(self) -> list[nn.Parameter]:
        return [] if self.presence is None else list(self.presence.parameters())

    def forward(
        self,
        pyramid: Sequence[torch.Tensor],
        cue: torch.Tensor | None = None,
        pixel_cue: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """[corr_l4, corr_l3, corr_l2] (+ the appearance cue (B, 64, h2, w2), the pixel cue
        (B, 64, 2 h2, 2 w2)) -> logits (B, 1, 2 h2, 2 w2)."""
        corr4, corr3, corr2 = pyramid
        sq4 = self.encoder_layer4(corr4)  # (B, 128, h4, w4, 1, 1) at 224
        sq3 = self.encoder_layer3(corr3)  # (B, 128, h3, w3, 1, 1)
        sq2 = self.encoder_layer2(corr2)  # (B, 128, h2, w2, 1, 1)
        mix43 = self.encoder_layer4to3(upsample_query(sq4, sq3.shape[2:4]) + sq3)
        mix432 = self.encoder_layer3to2(upsample_query(mix43, sq2.shape[2:4]) + sq2)
        z = mix432.flatten(-2).mean(-1)  # pool over support dims: (B, 128, h2, w2)
        z = self.decoder1(z)  # (B, 64, h2, w2)
        if cue is not None:
            z = z + cue
        z = F.interpolate(z, scale_factor=2, mode="bilinear", align_corners=True)
        if pixel_cue is not None:
            z = z + pixel_cue
        return self.decoder2(z)  # (B, 1, 2 h2, 2 w2)

    def parameter_breakdown(self) -> dict[str, int]:
        """Learnable parameters per block, in forward order."""
        return {
            name: sum(p.numel() for p in child.parameters() if p.requires_grad)
            for name, child in self.named_children()
        }
