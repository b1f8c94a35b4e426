"""Hypercorrelation construction (HSNet / paper section 3.3) as pure functions.

Reference features are weighted by the reference heat map, then every query position is compared
with every reference position by clamped cosine similarity, layer by layer, and the layers of
each ResNet stage are stacked into one channel axis.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

# How the reference heat map is brought down to each feature size (see docs/model.md):
# "max" = adaptive max pooling (keeps sigma=0.02 peaks near 1 at every level),
# "bilinear" = the paper's literal choice (align_corners=True), which can erase narrow peaks.
SUPPORT_RESIZE_MODES = ("max", "bilinear")


def resize_heatmap(heat: torch.Tensor, size: tuple[int, ...], mode: str = "max") -> torch.Tensor:
    """(B, H, W) heat map -> (B, h, w) at a feature map's size (h, w): a tuple or a shape."""
    if mode == "max":
        return F.adaptive_max_pool2d(heat[:, None], size)[:, 0]
    if mode == "bilinear":
        return F.interpolate(heat[:, None], size, mode="bilinear", align_corners=True)[:, 0]
    raise ValueError(f"unknown support resize mode {mode!r}; use one of {SUPPORT_RESIZE_MODES}")


def mask_features(
    feats: Sequence[torch.Tensor], heat: torch.Tensor, mode: str = "max"
) -> list[torch.Tensor]:
    """Multiply each (B, C, h, w) feature map by the heat map (B, H, W) resized to (h, w)."""
    return [f * resize_heatmap(heat, f.shape[-2:], mode)[:, None] for f in feats]


def cosine_correlation(
    query: torch.Tensor, support: torch.Tensor, eps: float = 1e-5
) -> torch.Tensor:
    """ReLU(cos) between every query and support position.

    query (B, C, Hq, Wq), support (B, C, Hs, Ws) -> (B, Hq, Wq, Hs, Ws), query dims first.
    """
    q = query / (query.norm(dim=1, keepdim=True) + eps)
    s = support / (support.norm(dim=1, keepdim=True) + eps)
    corr = torch.einsum("bcij,bckl->bijkl", q, s)
    return corr.clamp(min=0)


def stack_pyramid(corrs: Sequence[torch.Tensor], stage_sizes: Sequence[int]) -> list[torch.Tensor]:
    """Group per-layer correlations by stage, deepest first.

    corrs: one (B, Hq, Wq, Hs, Ws) per layer, shallowest first; stage_sizes: layers per stage
    (e.g. (4, 6, 3) for ResNet-50 layer2-4). Returns [(B, n4, ...), (B, n3, ...), (B, n2, ...)].
    """
    if sum(stage_sizes) != len(corrs):
        raise ValueError(f"{len(corrs)} correlations do not split into stages {stage_sizes}")
    groups, start = [], 0
    for n in stage_sizes:
        groups.append(torch.stack(list(corrs[start : start + n]), dim=1))
        start += n
    return groups[::-1]


def hypercorrelation(
    query_feats: Sequence[torch.Tensor],
    support_feats: Sequence[torch.Tensor],
    support_heat: torch.Tensor,
    stage_sizes: Sequence[int],
    resize_mode: str = "max",
) -> list[torch.Tensor]:
    """The full pyramid: mask the support, correlate layer by layer, stack by stage.

    query_feats / support_feats: per-layer (B, C_l, h_l, w_l); support_heat: (B, S, S).
    Returns deepest-first [(B, n_l4, h4, w4, h4, w4), (B, n_l3, ...), (B, n_l2, ...)].
    """
    masked = mask_features(support_feats, support_heat, resize_mode)
    corrs = [cosine_correlation(q, s) for q, s in zip(query_feats, masked, strict=True)]
    return stack_pyramid(corrs, stage_sizes)
