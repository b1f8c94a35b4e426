"""SAMIC's training loss (paper section 3.5): KLD + (1 - CC) + NSS term.

All terms take a non-negative predicted map P (B, H, W) and the ground-truth heat map G (B, H, W)
with max 1, return one value per sample, and decrease as P improves.
"""

from __future__ import annotations

import torch

KLD_EPS = 1e-6  # the paper's epsilon in eq. (1)
VAR_EPS = 1e-12  # inside square roots: a flat map gives finite values and gradients
FIXATION_THRESHOLD = 0.5  # F = 1[G > 0.5]
LOSS_TERMS = ("kld", "cc", "nss")  # all on by default; paper table 6 ablates them


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


def samic_loss(pred: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
    """Loss = KLD + (1 - CC) + NSS term, averaged over the batch (a scalar)."""
    return (kld_loss(pred, gt) + cc_loss(pred, gt) + nss_loss(pred, gt)).mean()


def check_loss_terms(terms: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Validated loss terms in canonical order; ValueError names the bad input."""
    bad = [t for t in terms if t not in LOSS_TERMS]
    if bad or not terms:
        raise ValueError(f"loss terms must be a non-empty subset of {LOSS_TERMS}, got {terms}")
    return tuple(t for t in LOSS_TERMS if t in terms)


def loss_terms(pred: torch.Tensor, gt: torch.Tensor) -> dict[str, float]:
    """Batch means of the three terms, for logging."""
    with torch.no_grad():
        return {
            "kld": float(kld_loss(pred, gt).mean()),
            "cc": float(cc_loss(pred, gt).mean()),
            "nss": float(nss_loss(pred, gt).mean()),
        }
