"""SAMIC's training loss (paper section 3.5): KLD + (1 - CC) + NSS term, plus BCE and level terms.

All terms take a non-negative predicted map P (B, H, W) and the ground-truth heat map G (B, H, W)
with max 1, return one value per sample, and decrease as P improves. KLD, CC and NSS compare the
maps' shapes only, so the network's output level is free under them; the BCE term (not in the
paper; measured in docs/model.md) ties the output to G's values, so that an absolute floor on
the output can tell "no object here", and it is the only term on a target without the object
(G = 0), where the three shape terms are undefined. BCE's mean weighs an object's few pixels as
little as any of the background's, so where the network cannot yet tell the object from its
look-alikes it may sink the whole map below any floor; the level term (BCE on the fixations
alone) holds the map up where the object is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as F

from samic_core.loss_terms import (  # the names, re-exported beside the functions
    DEFAULT_TERMS,
    LOSS_TERMS,
    OBJECT_TERMS,
    PAPER_TERMS,
    SHAPE_TERMS,
    check_loss_terms,
)

__all__ = [
    "DEFAULT_TERMS",
    "LOSS_FUNCTIONS",
    "LOSS_TERMS",
    "OBJECT_TERMS",
    "PAPER_TERMS",
    "SHAPE_TERMS",
    "bce_loss",
    "cc_loss",
    "hard_loss",
    "check_loss_terms",
    "kld_loss",
    "level_loss",
    "loss_terms",
    "nss_loss",
    "samic_loss",
    "sum_terms",
]

KLD_EPS = 1e-6  # the paper's epsilon in eq. (1)
VAR_EPS = 1e-12  # inside square roots: a flat map gives finite values and gradients
FIXATION_THRESHOLD = 0.5  # F = 1[G > 0.5]


def _flat(x: torch.Tensor) -> torch.Tensor:
    return x.reshape(x.shape[0], -1)


def kld_loss(pred: torch.Tensor, gt: torch.Tensor, eps: float = KLD_EPS) -> torch.Tensor:
    """Eq. (1): sum_i G_i log(eps + G_i / (P_i + eps)), with P and G each normalised to sum 1.

    The sum-normalisation is the standard KL saliency metric the paper cites (cvzoya KLdiv.m);
    it makes the term a divergence between the two maps seen as distributions. >= ~0, 0 at P = G.
    """
    p, g = _flat(pred), _flat(gt)
    p = p / (p.sum(1, keepdim=True) + eps)
    g = g / (g.sum(1, keepdim=True) + eps)
    return (g * torch.log(eps + g / (p + eps))).sum(1)


def cc_loss(pred: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
    """Eq. (2): 1 - Pearson correlation of P and G over pixels, in [0, 2]."""
    p, g = _flat(pred), _flat(gt)
    p = p - p.mean(1, keepdim=True)
    g = g - g.mean(1, keepdim=True)
    cov = (p * g).sum(1)
    denom = torch.sqrt((p * p).sum(1) * (g * g).sum(1) + VAR_EPS)
    return 1.0 - cov / denom


def _standardise(x: torch.Tensor) -> torch.Tensor:
    """(B, N) -> (x - mean) / std per row, unbiased std (as MATLAB's and torch's default)."""
    return (x - x.mean(1, keepdim=True)) / torch.sqrt(x.var(1, keepdim=True) + VAR_EPS)


def nss_loss(
    pred: torch.Tensor, gt: torch.Tensor, threshold: float = FIXATION_THRESHOLD
) -> torch.Tensor:
    """Eq. (3): (1/N) sum_i (Gbar_i - Pbar_i) F_i with F = 1[G > 0.5] and N = sum F.

    Gbar, Pbar are G and P standardised over the pixels, so the term is NSS(G) - NSS(P): it falls
    as the prediction concentrates on the fixations and is 0 when P has G's standardised shape.
    """
    p, g = _flat(pred), _flat(gt)
    fix = (g > threshold).to(p.dtype)
    n = fix.sum(1).clamp(min=1.0)
    return ((_standardise(g) - _standardise(p)) * fix).sum(1) / n


def bce_loss(pred: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
    """Per-pixel binary cross-entropy of P against G's values, averaged over the pixels."""
    p = _flat(pred).clamp(1e-6, 1.0 - 1e-6)
    return F.binary_cross_entropy(p, _flat(gt).to(p.dtype), reduction="none").mean(1)


HARD_SHARE = 0.01  # the strongest share of a map's background pixels that `hard_loss` weighs
BACKGROUND_LEVEL = 0.01  # G below this is background


def hard_loss(pred: torch.Tensor, gt: torch.Tensor, share: float = HARD_SHARE) -> torch.Tensor:
    """BCE on each map's strongest background responses (the top `share` of its pixels where G
    is background): where look-alikes fire. The mean BCE weighs them as little as any of the
    background's many pixels; this term weighs them alone. Defined on empty targets too."""
    p, g = _flat(pred), _flat(gt)
    k = max(1, int(round(share * p.shape[1])))
    background = p.masked_fill(g >= BACKGROUND_LEVEL, 0.0)  # object pixels never count
    top = background.topk(k, dim=1).values.clamp(0.0, 1.0 - 1e-6)
    return -torch.log1p(-top).mean(1)


def level_loss(
    pred: torch.Tensor, gt: torch.Tensor, threshold: float = FIXATION_THRESHOLD
) -> torch.Tensor:
    """BCE on the fixations alone (F = 1[G > 0.5], the prompts' own pixels): -log P there.

    The mean BCE over all pixels weighs an object's few pixels as little as any of the
    background's many, and KLD, CC and NSS leave the level free, so a map of the right shape
    can sink below any absolute floor (measured in docs/model.md); this term holds the
    map's level up where the object is. Undefined on an empty target."""
    p, g = _flat(pred), _flat(gt)
    fix = (g > threshold).to(p.dtype)
    n = fix.sum(1).clamp(min=1.0)
    return -(torch.log(p.clamp(1e-6, 1.0)) * fix).sum(1) / n


LOSS_FUNCTIONS = {
    "kld": kld_loss, "cc": cc_loss, "nss": nss_loss, "bce": bce_loss, "hard": hard_loss,
    "level": level_loss,
}  # fmt: skip


def loss_terms(
    pred: torch.Tensor, gt: torch.Tensor, terms: Sequence[str] = DEFAULT_TERMS
) -> dict[str, torch.Tensor]:
    """Per-term batch means (scalars with gradients); OBJECT_TERMS average over non-empty G only."""
    unknown = set(terms) - set(LOSS_FUNCTIONS)
    if unknown or not terms:
        raise ValueError(f"loss terms must be some of {tuple(LOSS_FUNCTIONS)}, got {terms}")
    present = _flat(gt).amax(1) > 0  # (B,) targets that contain the object
    out: dict[str, torch.Tensor] = {}
    for name in terms:
        values = LOSS_FUNCTIONS[name](pred, gt)
        if name in OBJECT_TERMS:
            values = values[present] if bool(present.any()) else values[:0]
            out[name] = values.sum() / max(int(present.sum()), 1)
        else:
            out[name] = values.mean()
    return out


def sum_terms(parts: Mapping[str, torch.Tensor], terms: Sequence[str]) -> torch.Tensor:
    """The loss that is optimised: the sum of `terms`' batch means out of `parts` (which may
    hold more terms, logged only). Training (train/step.py) and `samic_loss` both use it."""
    return torch.stack([parts[k] for k in terms]).sum()


def samic_loss(
    pred: torch.Tensor, gt: torch.Tensor, terms: Sequence[str] = PAPER_TERMS
) -> torch.Tensor:
    """The sum of the chosen terms' batch means (a scalar); by default the paper's loss."""
    return sum_terms(loss_terms(pred, gt, terms), terms)
