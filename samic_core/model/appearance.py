"""Appearance cue: the target's own features, read through the reference's prompted region.

HSNet's learner sees only cosine correlations between target and reference positions. With a
backbone that does not separate the object from its look-alikes (a random one, or ImageNet's on
an unusual domain), a look-alike of the same colour correlates about as well as the object, and
no 4D conv can undo that: the information is gone before the learner. SAMIC, unlike HSNet, is
trained on one folder, i.e. on its own few classes, so the network can also learn what the
object looks like. This cue gives the decoder the target's features themselves (projected) and
their channel-wise product with the reference's prompted prototype, so it can learn which
channels and which spatial arrangement (shape, texture, size) tell the object from the rest
while staying conditioned on the reference (a folder may hold several classes).

Input: the last bottleneck of each stage, e.g. at S = 224 with ResNet-50
[(B, 512, 28, 28), (B, 1024, 14, 14), (B, 2048, 7, 7)] for target and reference, and the
reference heat map (B, S, S). Output: (B, out, 28, 28), added to the decoder's features. The last
conv starts at zero, so an untrained cue leaves HSNet's output unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from samic_core.model.correlation import resize_heatmap

WIDTH = 48  # channels per level after the projection
GROUPS = 4


def stage_ends(stage_sizes: Sequence[int]) -> tuple[int, ...]:
    """Indices of each stage's last bottleneck in the backbone's feature list: (3, 9, 12)."""
    ends, total = [], 0
    for n in stage_sizes:
        total += n
        ends.append(total - 1)
    return tuple(ends)


class AppearanceCue(nn.Module):
    """Per level: project the L2-normalised target and reference features to WIDTH channels;
    the reference's heat-weighted mean is its prototype p; keep [t, t * p]. All levels go to the
    shallowest level's size, two 3 x 3 convs mix them -> (B, out, h2, w2)."""

    def __init__(self, channels: Sequence[int] = (512, 1024, 2048), out: int = 64) -> None:
        super().__init__()
        self.channels = tuple(channels)
        self.project = nn.ModuleList(nn.Conv2d(c, WIDTH, 1) for c in self.channels)
        last = nn.Conv2d(out, out, 3, padding=1)
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)  # type: ignore[arg-type]  # Conv2d has a bias here
        self.mix = nn.Sequential(
            nn.Conv2d(2 * WIDTH * len(self.channels), out, 3, padding=1),
            nn.GroupNorm(GROUPS, out),
            nn.ReLU(),
            last,
        )

    def forward(
        self,
        target: Sequence[torch.Tensor],
        reference: Sequence[torch.Tensor],
        reference_heat: torch.Tensor,
        resize_mode: str = "max",
    ) -> torch.Tensor:
        """target / reference: per level (B, C_l, h_l, w_l), shallowest first; heat (B, S, S)."""
        size = target[0].shape[-2:]
        parts = []
        for proj, t, r in zip(self.project, target, reference, strict=True):
            scale = math.sqrt(t.shape[1])
            pt = proj(F.normalize(t, dim=1) * scale)  # (B, W, h, w)
            pr = proj(F.normalize(r, dim=1) * scale)
            w = resize_heatmap(reference_heat, pr.shape[-2:], resize_mode)  # (B, h, w)
            w = w / w.flatten(1).sum(1).clamp_min(1e-12)[:, None, None]
            proto = torch.einsum("bchw,bhw->bc", pr, w)  # (B, W)
            z = torch.cat([pt, pt * proto[:, :, None, None]], 1)  # (B, 2W, h, w)
            if z.shape[-2:] != size:
                z = F.interpolate(z, size, mode="bilinear", align_corners=True)
            parts.append(z)
        return self.mix(torch.cat(parts, 1))
