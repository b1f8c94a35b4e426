"""Fit the peak rule to the folder: the thresholds that turn a model's map into prompts, chosen
on its own validation images and stored in the model file.

One constant rule cannot fit every folder: where many similar objects share one map, each
gets a low peak, and a strict rule drops most of them; where look-alikes fire the map, a loose
rule prompts them. After training, every validation target is predicted K-shot with references
from the training images (as `samic predict` does), and each rule of a small grid of (threshold,
floor) is scored by matching its peaks to the annotated objects: a peak within an object's radius
of its clicks is a true prompt, an object with such a peak is found, and every peak on a target
without the class is false.

The fit of a model with a pixel cue starts from FIT_BASE, a strict rule (half the strongest
peak, the paper's own threshold, and a floor of 0.4 on the BCE-trained output); a model without
one starts from the default rule (0.3/0.1): its maps are less sharp, and the strict start cost
it recall. The fit only loosens its start: the rule kept is the one with the highest recall at
precision >= PRECISION_GOAL (and at least EMPTY_GOAL of the empty targets silent), the stricter
one on a tie, so a looser rule is taken only where it finds objects that the stricter one misses
on the validation images; where no rule reaches that, the start stays. A few validation images
show weak objects that a strict rule drops, but not how often look-alikes in new images fire:
an earlier fit that could make the then default rule (0.3/0.1) stricter chose on noise and lost
recall on new images. Starting strict and loosening
only on evidence keeps the look-alikes out where the folder shows no need for a looser rule
(measured in docs/model.md, "Peaks that fit the folder"). A model trained on tiles is fitted on
its validation images whole instead (train/tile_fit.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple, dataclass, replace

import numpy as np
import torch

from samic_core.heatmap import SIGMA
from samic_core.model.samic_net import SamicNet
from samic_core.peaks import PeakRule, find_peaks
from samic_core.train.episodes import AnnotatedImage, Split, TrainingEpisode
from samic_core.train.features import EpisodeTensors, FeatureBank, episode_batch
from samic_core.train.step import batches

THRESHOLDS = (0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5)
FLOORS = (0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4)
# where the fit of a model with a pixel cue starts: the rule it only loosens, and the rule such a
# model keeps when it has too few validation objects for a fit (trainer.py); a model without
# the cue starts from the default rule (fit_start)
FIT_BASE = PeakRule(threshold=0.5, floor=0.4)
# the epoch score (PeakFit.score) averages F1 over the rules at most this one: the grid it had
# when the score-chosen epoch was measured, kept so the epoch choice does not move with FIT_BASE
SCORE_BASE = PeakRule()
PRECISION_GOAL = 0.9
EMPTY_GOAL = 0.9
MIN_OBJECTS = 5  # fewer validation objects than this: no fit (training stores the start)


@dataclass(frozen=True)
class FitSample:
    """One validation target of one class: its K-shot map and what it should prompt.

    heat: (S, S) mean of the K per-reference outputs; size: (H, W) of the original image;
    sites: (n, 3) objects as (x, y, radius) in original pixels (n = 0: an empty target);
    object_radius: the references' typical object radius, a fraction of the side (for nms).
    """

    heat: np.ndarray
    size: tuple[int, int]
    sites: np.ndarray
    object_radius: float | None


@dataclass(frozen=True)
class PeakFit:
    """The fitted rule and what it scored on the validation targets."""

    rule: PeakRule
    recall: float
    precision: float
    empty_clean: float  # share of empty targets without a prompt (nan: none)
    objects: int
    targets: int
    score: float = 0.0  # mean F1 over the grid's rules at most SCORE_BASE (fit_peak_rule)

    def describe(self) -> dict[str, float | int]:
        return {
            "threshold": self.rule.threshold,
            "floor": self.rule.floor,
            "val_recall": round(self.recall, 4),
            "val_precision": round(self.precision, 4),
            "val_empty_clean": round(self.empty_clean, 4),
            "val_objects": self.objects,
            "val_targets": self.targets,
        }


def _object_radius(image: AnnotatedImage, class_name: str) -> float | None:
    """Median object radius of `class_name` in `image`, a fraction of its longer side."""
    radii = image.sites.get(class_name, np.zeros((0, 3)))[:, 2]
    radii = radii[radii > 0]
    return float(np.median(radii) / max(image.size)) if len(radii) else None


def fit_episodes(
    images: list[AnnotatedImage], split: Split, shots: int, seed: int
) -> list[list[TrainingEpisode]]:
    """Per (validation target, class), K episodes with references from the training images."""
    index = {im.name: i for i, im in enumerate(images)}
    train = [index[im.name] for im in split.train if im.erased is None]
    rng = np.random.default_rng([seed, 2_718])
    groups = []
    for im in split.val:
        t = index[im.name]
        for c in sorted({*im.points, *im.empty_of}):
            pool = [r for r in train if c in images[r].points and r != t]
            if not pool:
                continue
            picks = rng.permutation(len(pool))[: min(shots, len(pool))]
            groups.append([TrainingEpisode(t, pool[int(j)], c) for j in picks])
    return groups


@torch.no_grad()
def fit_samples(
    net: SamicNet,
    images: list[AnnotatedImage],
    groups: list[list[TrainingEpisode]],
    tensors: EpisodeTensors,
    bank: FeatureBank,
    batch_size: int,
) -> list[FitSample]:
    """The K-shot map of every group (one validation target and class), with its objects."""
    episodes = [e for g in groups for e in g]
    maps: list[torch.Tensor] = []
    net.eval()
    for batch in batches(episodes, batch_size):
        target_feats, ref_feats, ref_heat, _ = episode_batch(batch, tensors, bank)
        logits = net.forward_features(target_feats, ref_feats, ref_heat)
        maps.extend(net.to_heatmap(logits.float()).cpu())
    samples, at = [], 0
    for group in groups:
        heat = torch.stack(maps[at : at + len(group)]).mean(0).numpy()
        at += len(group)
        target = images[group[0].target]
        c = group[0].class_name
        radii = [r for e in group if (r := _object_radius(images[e.reference], c)) is not None]
        samples.append(
            FitSample(
                heat=heat,
                size=target.size,
                sites=target.sites.get(c, np.zeros((0, 3))),
                object_radius=float(np.median(radii)) if radii else None,
            )
        )
    return samples


@dataclass(frozen=True)
class Tally:
    """What one rule's peaks scored, summed over targets."""

    found: int = 0  # objects with a true peak
    objects: int = 0
    true: int = 0  # peaks within an object's reach
    peaks: int = 0
    silent: int = 0  # empty targets without a peak
    empty: int = 0  # targets without the class

    def __add__(self, other: Tally) -> Tally:
        return Tally(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))


def tally(xy: np.ndarray, sites: np.ndarray, side: float) -> Tally:
    """One target's peaks (n, 2) matched to its objects (m, 3) as (x, y, radius): a peak within
    an object's radius of its clicks is true (at least a click's heat blob, 2 sigma of the map's
    `side` in image pixels, where the object has no mask), an object with one is found; every
    peak on a target without the class (m = 0) is false."""
    xy = np.asarray(xy, np.float64).reshape(-1, 2)
    if len(sites) == 0:
        return Tally(peaks=len(xy), silent=int(len(xy) == 0), empty=1)
    reach = np.maximum(sites[:, 2], 2 * SIGMA * side)
    d = np.hypot(xy[:, None, 0] - sites[None, :, 0], xy[:, None, 1] - sites[None, :, 1])
    hit = d <= reach[None, :]
    return Tally(int(hit.any(0).sum()), len(sites), int(hit.any(1).sum()), len(xy))


def _score(samples: list[FitSample], rule: PeakRule) -> Tally:
    """The samples' peaks under `rule`, matched to their objects."""
    total = Tally()
    for s in samples:
        pts = find_peaks(s.heat, s.size, rule.with_object_radius(s.object_radius))
        xy = np.array([[p.x, p.y] for p in pts], np.float64).reshape(-1, 2)
        total += tally(xy, s.sites, max(s.size))
    return total


def _f1(recall: float, precision: float) -> float:
    return 2 * recall * precision / (recall + precision) if recall + precision > 0 else 0.0


def rule_grid(base: PeakRule = FIT_BASE) -> list[PeakRule]:
    """The `nms` rules a fit tries: the grid's (threshold, floor) pairs at most `base`'s, and
    `base`'s own."""
    grid = {(t, f) for t in THRESHOLDS for f in FLOORS if t <= base.threshold and f <= base.floor}
    return [PeakRule(method="nms", threshold=t, floor=f, radius=base.radius,
                     max_peaks=base.max_peaks)
            for t, f in sorted(grid | {(base.threshold, base.floor)})]  # fmt: skip


def _at_most(rule: PeakRule, base: PeakRule) -> bool:
    return rule.threshold <= base.threshold and rule.floor <= base.floor


def choose_rule(
    scored: Sequence[tuple[PeakRule, Tally]],
    base: PeakRule,
    targets: int,
    score_within: PeakRule | None = None,
) -> PeakFit:
    """The rule with the most recall at precision >= PRECISION_GOAL (and at least EMPTY_GOAL of
    the empty targets silent), the stricter one on a tie; `base` where none reaches that.
    Every rule's tally must count the same objects (> 0), and `base` must be among them. The
    fit's `score` is the mean F1 of the rules at most `score_within` (all rules when None)."""
    best: tuple[tuple[float, ...], PeakFit] | None = None
    default: PeakFit | None = None
    f1s: list[float] = []
    for rule, t in scored:
        recall = t.found / t.objects
        precision = t.true / t.peaks if t.peaks else 1.0
        clean = t.silent / t.empty if t.empty else float("nan")
        fit = PeakFit(rule, recall, precision, clean, t.objects, targets)
        if score_within is None or _at_most(rule, score_within):
            f1s.append(_f1(recall, precision))
        if (rule.threshold, rule.floor) == (base.threshold, base.floor):
            default = fit
        if precision >= PRECISION_GOAL and (not t.empty or clean >= EMPTY_GOAL):
            key = (recall, rule.floor, rule.threshold)  # the most recall; on a tie the stricter
            if best is None or key > best[0]:
                best = (key, fit)
    chosen = best[1] if best is not None else default
    assert chosen is not None, "the base rule must be scored"
    return replace(chosen, score=float(np.mean(f1s)))


def fit_peak_rule(samples: list[FitSample], base: PeakRule = FIT_BASE) -> PeakFit | None:
    """The grid's best rule for these samples (see the module doc), never stricter than `base`;
    None with too few objects.

    Its `score` ranks epochs during training: the F1 of instance recall and point precision
    (false peaks on empty targets count against precision) averaged over the grid's rules at
    most SCORE_BASE. One rule's F1 on a few validation images jumps as the map's level crosses
    its thresholds; the mean over thresholds, like average precision, moves smoothly."""
    if sum(len(s.sites) for s in samples) < MIN_OBJECTS:
        return None
    scored = [(rule, _score(samples, rule)) for rule in rule_grid(base)]
    return choose_rule(scored, base, len(samples), SCORE_BASE)


def fit_start(net: SamicNet) -> PeakRule:
    """Where the fit of `net`'s peak rule starts: FIT_BASE where it runs with a pixel cue, the
    default rule otherwise (measured in docs/model.md, "A strict start, loosened on evidence")."""
    return FIT_BASE if net.learner.pixel_cue is not None and net.pixel_cue_on else PeakRule()


def stored_rule(fit: PeakFit | None, start: PeakRule = FIT_BASE) -> dict[str, float | int] | None:
    """What a model file's `peak_rule` holds: the fit's rule and its validation scores; where
    the validation images held too few objects to fit (fit None), the fit's `start` alone, or
    nothing when that is the predictor's default rule anyway."""
    if fit is not None:
        return fit.describe()
    if (start.threshold, start.floor) == (PeakRule().threshold, PeakRule().floor):
        return None
    return {"threshold": start.threshold, "floor": start.floor}


def score_peaks(
    net: SamicNet,
    images: list[AnnotatedImage],
    groups: list[list[TrainingEpisode]],
    tensors: EpisodeTensors,
    bank: FeatureBank,
    batch_size: int,
) -> PeakFit | None:
    """The groups' K-shot maps under the best rule of the grid, matched to their objects: what
    the model's prompts give on the validation images. None without groups or objects."""
    if not groups:
        return None
    samples = fit_samples(net, images, groups, tensors, bank, batch_size)
    return fit_peak_rule(samples, fit_start(net))
