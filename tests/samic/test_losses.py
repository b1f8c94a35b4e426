"""The three loss terms of paper section 3.5 against values worked out by hand."""

from __future__ import annotations

import math

import pytest
import torch

from samic_core.train.losses import cc_loss, kld_loss, nss_loss, samic_loss

# Four-pixel maps (B = 1, H = 2, W = 2), flattened row-major as [a, b, c, d].
G = torch.tensor([[[1.0, 0.0], [0.0, 0.0]]])
P = torch.tensor([[[0.5, 0.5], [0.0, 0.0]]])


def test_kld_by_hand() -> None:
    # g = [1, 0, 0, 0], p = [.5, .5, 0, 0]: only the first pixel counts, 1 * log(1 / .5) = ln 2
    assert kld_loss(P, G).item() == pytest.approx(math.log(2), abs=1e-5)
    # g = [.5, .5, 0, 0], p = [.75, .25, 0, 0]: .5 ln(.5/.75) + .5 ln(.5/.25) = .5 ln(4/3)
    g2 = torch.tensor([[[1.0, 1.0], [0.0, 0.0]]])
    p2 = torch.tensor([[[3.0, 1.0], [0.0, 0.0]]])
    assert kld_loss(p2, g2).item() == pytest.approx(0.5 * math.log(4 / 3), abs=1e-5)


def test_cc_by_hand() -> None:
    # centred g = [.75, -.25, -.25, -.25], p = [.25, .25, -.25, -.25]
    # cov = .25, |g|^2 = .75, |p|^2 = .25 -> CC = .25 / sqrt(.1875) = 1 / sqrt(3)
    assert cc_loss(P, G).item() == pytest.approx(1 - 1 / math.sqrt(3), abs=1e-6)


def test_nss_by_hand() -> None:
    # F = [1, 0, 0, 0]. Unbiased std: G -> std .5, Gbar_a = .75 / .5 = 1.5;
    # P -> std sqrt(.25 / 3), Pbar_a = .25 / sqrt(1 / 12) = sqrt(3) / 2. Loss = 1.5 - sqrt(3) / 2
    assert nss_loss(P, G).item() == pytest.approx(1.5 - math.sqrt(3) / 2, abs=1e-6)


def test_total_is_the_sum_and_batches_average() -> None:
    total = math.log(2) + (1 - 1 / math.sqrt(3)) + (1.5 - math.sqrt(3) / 2)
    assert samic_loss(P, G).item() == pytest.approx(total, abs=1e-5)
    perfect = samic_loss(G, G).item()
    assert perfect == pytest.approx(0.0, abs=1e-5)
    batch = samic_loss(torch.cat([P, G]), torch.cat([G, G])).item()
    assert batch == pytest.approx(total / 2, abs=1e-5)


def test_each_term_improves_towards_the_truth() -> None:
    """Minimising must improve each term: a closer prediction gives a lower value of each."""
    torch.manual_seed(0)
    gt = torch.zeros(1, 16, 16)
    gt[0, 4, 5] = 1.0
    gt[0, 3:6, 4:7] = torch.maximum(gt[0, 3:6, 4:7], torch.tensor(0.6))
    far = torch.rand(1, 16, 16)
    near = 0.2 * far + gt
    for term in (kld_loss, cc_loss, nss_loss):
        assert term(near, gt).item() < term(far, gt).item(), term.__name__
    assert kld_loss(gt, gt).item() == pytest.approx(0.0, abs=1e-5)
    assert cc_loss(gt, gt).item() == pytest.approx(0.0, abs=1e-6)
    assert nss_loss(gt, gt).item() == pytest.approx(0.0, abs=1e-5)


def test_scale_of_the_prediction_does_not_matter() -> None:
    torch.manual_seed(1)
    gt, pred = torch.rand(2, 8, 8), torch.rand(2, 8, 8)
    for term in (kld_loss, cc_loss, nss_loss):
        torch.testing.assert_close(term(pred, gt), term(7.0 * pred, gt), atol=1e-5, rtol=1e-4)


def test_flat_prediction_gives_finite_gradients() -> None:
    pred = torch.full((1, 8, 8), 0.5, requires_grad=True)
    gt = torch.zeros(1, 8, 8)
    gt[0, 2, 2] = 1.0
    samic_loss(pred, gt).backward()
    assert pred.grad is not None and torch.isfinite(pred.grad).all()


def test_hard_term_weighs_the_strongest_background_response_not_the_object() -> None:
    """A look-alike's response on the background dominates the hard term, object pixels never
    count, and an all-quiet background gives almost nothing (empty targets included)."""
    from samic_core.train.losses import hard_loss

    gt = torch.zeros(3, 32, 32)
    gt[:2, 4:8, 4:8] = 1.0  # the object in samples 0 and 1; sample 2 is an empty target
    quiet = torch.full((3, 32, 32), 0.01)
    quiet[:2, 4:8, 4:8] = 0.99  # a confident object response is not a hard negative
    loud = quiet.clone()
    loud[:, 20:24, 20:24] = 0.8  # a look-alike fires in every sample
    q, l_ = hard_loss(quiet, gt), hard_loss(loud, gt)
    assert (q < 0.02).all() and (l_ > 10 * q).all()
    assert l_[2] > 1.0  # the empty target's look-alike costs as much
    mean_bce = torch.nn.functional.binary_cross_entropy(loud, gt)
    assert l_.mean() > 5 * mean_bce  # the mean BCE dilutes it among all background pixels


def test_level_term_holds_the_map_up_where_the_object_is_and_skips_empty_targets() -> None:
    """The shape terms score a map of the right shape at a hundredth of the level as well as
    at full level; the level term does not, and it is -log P on the fixations alone."""
    from samic_core.train.losses import level_loss, loss_terms

    gt = torch.zeros(2, 16, 16)
    gt[0, 4:6, 4:6] = 1.0  # sample 1: an empty target
    gt[0, 3, 4] = 0.3  # a blob's flank is no fixation
    full = torch.full((2, 16, 16), 0.01)
    full[0, 4:6, 4:6] = 0.9
    faint = full / 100.0
    for term in (kld_loss, cc_loss, nss_loss):
        assert term(faint, gt)[0] == pytest.approx(float(term(full, gt)[0]), abs=1e-3)
    assert level_loss(full, gt)[0] == pytest.approx(-math.log(0.9), rel=1e-5)
    assert level_loss(faint, gt)[0] == pytest.approx(-math.log(0.009), rel=1e-5)
    parts = loss_terms(faint, gt, ("level",))
    assert parts["level"] == pytest.approx(-math.log(0.009), rel=1e-5)  # the empty one skipped
    pred = faint.clone().requires_grad_(True)
    level_loss(pred, gt).sum().backward()
    assert pred.grad is not None and (pred.grad[0, 4:6, 4:6] < 0).all()  # pushed up there
    assert (pred.grad[0, :3] == 0).all() and (pred.grad[1] == 0).all()  # nowhere else
