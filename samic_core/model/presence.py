"""Presence gate: does the target hold the reference's object at all?

HSNet's learner normalises its 4D features (GroupNorm) per sample, so it sees the *pattern* of
the correlations but not their level: on an image without the object it still finds "the most
similar thing" and outputs a confident peak there (docs/model.md, "Images without the object").
The level is what tells the two apart: per backbone layer, how well the best-matching target
position matches the reference's prompted region, relative to how well the reference's own
positions do. The gate turns those per-layer deficits into one logit per image, added to the
map's logits as log sigmoid(gate): near 0 where the evidence is as good as the reference's, very
negative (every pixel off) where it is clearly worse. 15 parameters for ResNet-50.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from samic_core.model.correlation import resize_heatmap

EPS = 1e-3  # in 1 - evidence: bounds the log-ratio where a match is (nearly) perfect
CLAMP = 4.0  # |deficit| per layer; keeps one odd layer from dominating
GATE_LR_FACTOR = 10.0  # the gate's learning rate / the learner's (its scale is far from init)


def prompt_evidence(
    query_feats: Sequence[torch.Tensor],
    support_feats: Sequence[torch.Tensor],
    support_heat: torch.Tensor,
    resize_mode: str = "max",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per layer, max over positions of the heat-weighted mean cosine similarity to the
    support's positions: for the query, and for the support itself (its own level).

    query_feats / support_feats: per layer (B, C_l, h_l, w_l); support_heat: (B, S, S).
    Returns two (B, L). The weighted mean of cosines equals q_hat . sum_s w_s s_hat, so this
    costs one (C, h*w) product per layer and image, not a full correlation. Features are
    post-ReLU (>= 0), so the cosines are the clamped ones of the hypercorrelation.
    """
    query, own = [], []
    for q, s in zip(query_feats, support_feats, strict=True):
        w = resize_heatmap(support_heat, s.shape[-2:], resize_mode)  # (B, h, w)
        w = w / w.flatten(1).sum(1).clamp_min(1e-12)[:, None, None]
        s_hat = F.normalize(s, dim=1)
        proto = torch.einsum("bchw,bhw->bc", s_hat, w)  # (B, C)
        query.append(torch.einsum("bchw,bc->bhw", F.normalize(q, dim=1), proto).flatten(1).amax(1))
        own.append(torch.einsum("bchw,bc->bhw", s_hat, proto).flatten(1).amax(1))
    return torch.stack(query, 1), torch.stack(own, 1)


def evidence_deficit(target: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """(B, L) evidences -> (B, L) log((1 - target) / (1 - reference)): 0 = as good as the
    reference matches itself, > 0 = worse. Scale-free, so it reads the same for any backbone."""
    deficit = torch.log((1 - target).clamp_min(0) + EPS) - torch.log(
        (1 - reference).clamp_min(0) + EPS
    )
    return deficit.clamp(-CLAMP, CLAMP)


class PresenceGate(nn.Module):
    """(B, L) evidence deficits -> (B,) presence logits: scale * (bias - sum_l a_l deficit_l).

    a = softmax(weights) >= 0, so more deficit never raises presence. At initialisation
    (scale 10, bias 0.5, uniform a) the gate is ~1 on any image that matches the reference within
    a deficit of 0.2, so it starts as a no-op and learns from empty targets where to close.
    """

    def __init__(self, layers: int) -> None:
        super().__init__()
        self.weights = nn.Parameter(torch.zeros(layers))
        self.bias = nn.Parameter(torch.tensor(0.5))
        self.log_scale = nn.Parameter(torch.tensor(math.log(10.0)))

    def forward(self, deficit: torch.Tensor) -> torch.Tensor:
        a = torch.softmax(self.weights, 0)
        return self.log_scale.exp() * (self.bias - deficit @ a)


def gated_logits(logits: torch.Tensor, presence: torch.Tensor) -> torch.Tensor:
    """Map logits (B, H, W) + presence logits (B,) -> logits whose sigmoid is ~ map * gate."""
    return logits + F.logsigmoid(presence)[:, None, None]
