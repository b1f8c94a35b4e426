"""Pixel cue: a small learned stem on the images themselves, beside the frozen features.

The appearance cue (model/appearance.py) reads the frozen backbone, and a random backbone's
features keep little of an object's shape or fine texture: a probe trained on them to tell the
target from look-alikes of its colour scored AUC 0.50 on shape and 0.59 on texture, while the
same probe on a learned stride-4 stem over the pixels scored 0.97 and 1.00 (docs/model.md, "The
pixel cue"). This cue learns such a stem from the folder, read through the reference's prompted
region as the appearance cue is, and joins the decoder at S/4.

Input: target and reference images as SamicNet.extract gives them (B, 3, S, S), normalised
like the backbone's input, and the reference heat map (B, S, S). Output: (B, out, S/4, S/4).
The last conv starts at zero, so an untrained cue leaves the output unchanged.
"""

from __future__ import annotations

import torch
from torch import nn

from samic_core.model.correlation import resize_heatmap

WIDTH = 48  # channels of the stem's output
GROUPS = 4


class PixelCue(nn.Module):
    """stem: two stride-2 3 x 3 convs and one more 3 x 3 -> (B, WIDTH, S/4, S/4) for target t and
    reference r; the reference's heat-weighted mean is its prototype p; two 3 x 3 convs mix
    [t, t * p] -> (B, out, S/4, S/4)."""

    def __init__(self, out: int = 64) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, WIDTH // 2, 3, stride=2, padding=1),
            nn.GroupNorm(GROUPS, WIDTH // 2),
            nn.ReLU(),
            nn.Conv2d(WIDTH // 2, WIDTH, 3, stride=2, padding=1),
            nn.GroupNorm(GROUPS, WIDTH),
            nn.ReLU(),
            nn.Conv2d(WIDTH, WIDTH, 3, padding=1),
        )
        last = nn.Conv2d(out, out, 3, padding=1)
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)  # type: ignore[arg-type]  # Conv2d has a bias here
        self.mix = nn.Sequential(
            nn.Conv2d(2 * WIDTH, out, 3, padding=1),
            nn.GroupNorm(GROUPS, out),
            nn.ReLU(),
            last,
        )

    def forward(
        self,
        target: torch.Tensor,
        reference: torch.Tensor,
        reference_heat: torch.Tensor,
        resize_mode: str = "max",
    ) -> torch.Tensor:
        """target / reference: (B, 3, S, S) normalised images; heat (B, S, S) -> (B, out, S/4,
        S/4)."""
        pt = self.stem(target)  # (B, W, S/4, S/4)
        pr = self.stem(reference)
        w = resize_heatmap(reference_heat, pr.shape[-2:], resize_mode)  # (B, S/4, S/4)
        w = w / w.flatten(1).sum(1).clamp_min(1e-12)[:, None, None]
        proto = torch.einsum("bchw,bhw->bc", pr, w)  # (B, W)
        return self.mix(torch.cat([pt, pt * proto[:, :, None, None]], 1))
