"""Peak rules: one prompt per instance where the paper's blob rule merges or drops them."""

from __future__ import annotations

import numpy as np
import pytest

from samic_core.errors import SamicError
from samic_core.heatmap import points_to_heatmap
from samic_core.peaks import PeakRule, find_peaks


def _blobs(points: list[tuple[float, float]], heights: list[float], size: int = 96) -> np.ndarray:
    """A map with one Gaussian per point, each scaled to its height (not max-normalised)."""
    out = np.zeros((size, size), np.float32)
    for (x, y), h in zip(points, heights, strict=True):
        out = np.maximum(out, h * points_to_heatmap([(x, y)], (size, size)))
    return out


def test_touching_instances_get_one_prompt_each_where_the_paper_rule_merges_them() -> None:
    heat = _blobs([(40, 48), (44, 48)], [0.9, 0.85])  # 4 px apart at sigma ~1.9 px: one blob
    assert len(find_peaks(heat, rule=PeakRule.paper())) == 1
    peaks = find_peaks(heat, rule=PeakRule(radius=0.03))
    assert len(peaks) == 2
    xs = sorted(p.x for p in peaks)
    assert xs[0] == pytest.approx(40, abs=1.0) and xs[1] == pytest.approx(44, abs=1.0)


def test_weak_instances_below_half_the_strongest_are_kept() -> None:
    heat = _blobs([(20, 20), (70, 70), (20, 70)], [0.95, 0.4, 0.35])
    assert len(find_peaks(heat, rule=PeakRule.paper())) == 1
    assert len(find_peaks(heat, rule=PeakRule())) == 3


def test_floor_gives_no_prompt_on_an_image_without_the_object() -> None:
    faint = _blobs([(30, 30), (60, 50)], [0.08, 0.06])
    assert find_peaks(faint, rule=PeakRule()) == []
    assert len(find_peaks(faint, rule=PeakRule.paper())) >= 1  # max-normalised: always a prompt
    assert find_peaks(np.zeros((32, 32), np.float32), rule=PeakRule.paper()) == []


def test_radius_suppresses_maxima_within_one_object() -> None:
    heat = _blobs([(40, 40), (46, 40)], [0.9, 0.8])
    assert len(find_peaks(heat, rule=PeakRule(radius=0.03))) == 2
    assert len(find_peaks(heat, rule=PeakRule(radius=0.1))) == 1
    # an unset radius comes from the reference objects' size, at least 1.5 sigma
    assert PeakRule().with_object_radius(0.2).radius == pytest.approx(0.12)
    assert PeakRule(radius=0.05).with_object_radius(0.2).radius == 0.05
    assert PeakRule().with_object_radius(None).radius is None


def test_peaks_come_back_in_original_pixels_strongest_first() -> None:
    heat = _blobs([(10.3, 30.6), (60.0, 20.0)], [0.6, 0.9])
    peaks = find_peaks(heat, image_size=(192, 384), rule=PeakRule())  # 2x, 4x the map
    assert [p.score for p in peaks] == sorted((p.score for p in peaks), reverse=True)
    assert peaks[0].x == pytest.approx((60 + 0.5) * 4 - 0.5, abs=2.5)
    assert peaks[1].y == pytest.approx((30.6 + 0.5) * 2 - 0.5, abs=1.5)


def test_bad_rules_are_refused() -> None:
    with pytest.raises(SamicError, match="unknown peak rule"):
        PeakRule(method="blobs")  # type: ignore[arg-type]
    with pytest.raises(SamicError, match="threshold"):
        PeakRule(threshold=0.0)
    with pytest.raises(SamicError, match="radius"):
        PeakRule(radius=0.7)
    assert PeakRule.named("paper", 0.4).threshold == 0.4


def test_eval_reference_masks_give_the_same_object_radius_as_annotations() -> None:
    """samic eval sets the nms radius from the reference mask as samic predict does from the
    annotation: the median equivalent radius of the regions, as a fraction of the longer side."""
    from samic_core.eval.methods.samic import mask_object_radius

    mask = np.zeros((100, 200), bool)
    mask[10:20, 10:20] = True  # area 100
    mask[50:70, 50:70] = True  # area 400
    mask[80:90, 150:190] = True  # area 400
    assert mask_object_radius(mask) == pytest.approx(np.sqrt(400 / np.pi) / 200)
    assert mask_object_radius(np.zeros((5, 5), bool)) is None
