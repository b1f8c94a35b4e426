"""J and F (DAVIS definitions) against values worked out by hand on small masks."""

from __future__ import annotations

import numpy as np
import pytest

from samic_core.eval.vos_metrics import (
    bound_pixels,
    f_measure,
    jaccard,
    scored_frames,
    seg2bmap,
    summarise,
)


def _box(shape, r0, r1, c0, c1):
    m = np.zeros(shape, bool)
    m[r0:r1, c0:c1] = True
    return m


def test_jaccard_by_hand():
    gt = _box((10, 10), 2, 6, 0, 4)  # 16 px
    pred = _box((10, 10), 0, 4, 0, 4)  # 16 px, 8 shared
    assert jaccard(pred, gt) == pytest.approx(8 / 24)
    assert jaccard(np.zeros((4, 4)), np.zeros((4, 4))) == 1.0  # both empty: DAVIS says 1
    assert jaccard(np.zeros((4, 4)), _box((4, 4), 0, 1, 0, 1)) == 0.0
    void = _box((10, 10), 0, 2, 0, 10)  # hides the 8 predicted pixels outside the object
    assert jaccard(pred, gt, void) == pytest.approx(8 / 16)


def test_seg2bmap_marks_both_sides_of_the_edge():
    seg = _box((8, 8), 2, 5, 2, 5)  # a 3 x 3 square
    expected = {(2, 4), (3, 4), (4, 2), (4, 3), (4, 4)}  # its right and lower rim
    expected |= {(1, 1), (1, 2), (1, 3), (1, 4), (2, 1), (3, 1), (4, 1)}  # outside, above/left
    assert set(zip(*np.nonzero(seg2bmap(seg)), strict=True)) == expected


def test_bound_pixels_is_the_davis_tolerance():
    assert bound_pixels((480, 854)) == 8  # ceil(0.008 * 979.7)
    assert bound_pixels((10, 10)) == 1
    assert bound_pixels((10, 10), 3) == 3


def test_f_measure_by_hand():
    gt = _box((40, 40), 2, 5, 2, 5) | _box((40, 40), 30, 33, 30, 33)  # 2 squares, 12 + 12 px
    one = _box((40, 40), 2, 5, 2, 5)
    assert f_measure(gt, gt) == 1.0
    # precision 12/12 (all predicted boundary matched), recall 12/24: F = 2 * 0.5 / 1.5
    assert f_measure(one, gt, bound_th=1) == pytest.approx(2 / 3)
    assert f_measure(_box((40, 40), 20, 23, 5, 8), one, bound_th=1) == 0.0  # far away
    assert f_measure(np.zeros((40, 40)), one) == 0.0  # P = 1, R = 0
    assert f_measure(np.zeros((40, 40)), np.zeros((40, 40))) == 1.0
    # a 1-pixel shift is inside the 1-pixel tolerance: every boundary pixel matches
    shifted = _box((40, 40), 2, 5, 3, 6)
    assert f_measure(shifted, one, bound_th=1) == 1.0
    assert f_measure(_box((40, 40), 2, 5, 6, 9), one, bound_th=1) < 1.0
    # void hides the second square from the ground truth: the prediction is now complete
    assert f_measure(one, gt, _box((40, 40), 28, 36, 28, 36), bound_th=1) == 1.0


def test_scored_frames_and_summary():
    assert list(scored_frames(5)) == [1, 2, 3]  # not the first nor the last
    per_object = {"a/1": {"J": [1.0, 0.5], "F": [1.0, 1.0]}, "b/1": {"J": [0.0], "F": [0.5]}}
    s = summarise(per_object)
    assert s["J"] == pytest.approx((0.75 + 0.0) / 2)
    assert s["F"] == pytest.approx((1.0 + 0.5) / 2)
    assert s["J&F"] == pytest.approx((s["J"] + s["F"]) / 2)
