"""Training schedules, negatives and the BCE term: the parts that decide when learning stops."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from samic_core.train.episodes import AnnotatedImage, Split, draw_training_episodes, train_episodes
from samic_core.train.losses import loss_terms, samic_loss
from samic_core.train.schedule import SCHEDULES, Stopper, resolve_schedule


def test_paper_schedule_stops_after_patience_epochs_without_a_lower_training_loss() -> None:
    stop = Stopper(SCHEDULES["paper"])
    losses = [3.0, 2.0, 1.5] + [1.6] * 9
    for loss in losses:
        stop.update(loss, None, steps=3)
        assert not stop.should_stop()
    stop.update(1.7, 0.1, steps=3)  # a validation loss does not count under the paper rule
    assert stop.should_stop()


def test_auto_schedule_counts_steps_smooths_and_waits_for_min_steps() -> None:
    sched = resolve_schedule("auto", patience=30)
    stop = Stopper(sched)
    for _ in range(sched.min_steps // 10 - 1):  # a flat loss: no improvement after the first
        stop.update(1.0, 1.0, steps=10)
    assert not stop.should_stop()  # fewer than min_steps steps so far
    stop.update(1.0, 1.0, steps=10)
    assert stop.should_stop()
    # the validation loss decides, smoothed: one lucky epoch moves the average by 30 % only
    noisy = Stopper(sched)
    for loss in [1.0, 1.0, 0.0, 1.0, 1.0]:
        noisy.update(9.0, loss, steps=10)
    assert noisy.smoothed == pytest.approx(0.7**2 * 0.7 + 0.3 * (1 + 0.7))
    assert noisy.best_at == 30 and noisy.best == pytest.approx(0.7)


def test_stopper_state_round_trips_and_reads_old_files() -> None:
    stop = Stopper(SCHEDULES["auto"])
    stop.update(2.0, 1.5, 12)
    again = Stopper(SCHEDULES["auto"])
    again.load_state(stop.state())
    assert again.state() == stop.state()
    old = Stopper(SCHEDULES["paper"])
    old.load_state({"epoch": 7, "best_train_loss": 0.4, "bad_epochs": 3})
    assert (old.epochs, old.best, old.best_at) == (7, 0.4, 4)


def _image(name: str, classes: dict[str, int], empty_of: tuple[str, ...] = ()) -> AnnotatedImage:
    from pathlib import Path

    pts = {c: np.zeros((n, 2)) for c, n in classes.items()}
    return AnnotatedImage(name, Path(name), (8, 8), pts, dict(classes), empty_of)


def test_epochs_draw_several_references_per_target_and_empty_targets() -> None:
    images = [_image(f"{i}.png", {"a": 1}) for i in range(4)] + [_image("e.png", {}, ("a",))]
    split = Split(train=images, val=[])
    paper = train_episodes(images, split, seed=0, epoch=1, flips=False)
    assert len(paper) == 5  # one per target, the empty one included
    auto = train_episodes(images, split, 0, 1, False, refs_per_target=2, min_episodes=12)
    assert len(auto) == 15  # raised to 3 references per target to reach 12 pairs
    for e in auto:
        assert e.reference != e.target and images[e.reference].points  # references have points
        pairs = [(e.target, e.reference) for e in auto if e.target == 0]
        assert len(pairs) == len(set(pairs))  # distinct references per target
    assert any(images[e.target].name == "e.png" for e in auto)
    rng = np.random.default_rng(0)
    assert len(draw_training_episodes(images, [0], [0], rng)) == 0  # no other reference: no episode


def test_bce_term_is_the_only_loss_on_an_empty_target() -> None:
    pred = torch.rand(2, 16, 16)
    gt = torch.zeros(2, 16, 16)
    gt[0, 5, 5] = 1.0  # sample 0 has the object, sample 1 is empty
    parts = loss_terms(pred, gt, ("kld", "cc", "nss", "bce"))
    only_first = loss_terms(pred[:1], gt[:1], ("kld", "cc", "nss"))
    for k in ("kld", "cc", "nss"):  # shape terms average over the non-empty sample only
        assert parts[k].item() == pytest.approx(only_first[k].item(), rel=1e-5)
    low = loss_terms(torch.full((1, 16, 16), 0.01), gt[1:], ("bce",))["bce"]
    high = loss_terms(torch.full((1, 16, 16), 0.6), gt[1:], ("bce",))["bce"]
    assert low < high  # an empty target pulls the output down
    assert samic_loss(pred[:1], gt[:1]).item() == pytest.approx(
        sum(v.item() for v in only_first.values()), rel=1e-5
    )
    with pytest.raises(ValueError, match="loss terms"):
        loss_terms(pred, gt, ("kld", "focal"))
