"""Peaks of several maps of one image (its tiles) joined into the image's: the `nms` rule's
threshold taken relative to the image's strongest peak, and a peak closer than the rule's
suppression radius to a stronger one dropped, across maps as within one."""

from __future__ import annotations

from collections.abc import Sequence

from samic_core.heatmap import SIGMA, Peak
from samic_core.peaks.rule import PeakRule


def radius_px(rule: PeakRule, side: int) -> float:
    """The rule's suppression radius in pixels of a map of `side` (its own or 2 sigma)."""
    return (rule.radius if rule.radius is not None else 2 * SIGMA) * side


def merge_peaks(peaks: Sequence[Peak], radius: float) -> list[Peak]:
    """Strongest first; a peak within `radius` px of a stronger one kept is dropped."""
    kept: list[Peak] = []
    for p in sorted(peaks, key=lambda p: -p.score):
        if all((p.x - k.x) ** 2 + (p.y - k.y) ** 2 > radius**2 for k in kept):
            kept.append(p)
    return kept


def threshold_peaks(peaks: Sequence[Peak], rule: PeakRule) -> list[Peak]:
    """The `nms` rule's threshold applied relative to the strongest of `peaks` (and its floor);
    other rules' peaks as they are."""
    kept = list(peaks)
    if rule.method == "nms" and kept:
        level = max(rule.floor, rule.threshold * max(p.score for p in kept))
        kept = [p for p in kept if p.score >= level]
    return kept


def combine_peaks(peaks: Sequence[Peak], rule: PeakRule, side: int) -> list[Peak]:
    """Every tile's peaks (image pixels) -> the image's: thresholded image-wide, then merged
    within the rule's radius in tiles of `side` px."""
    return merge_peaks(threshold_peaks(peaks, rule), radius_px(rule, side))
