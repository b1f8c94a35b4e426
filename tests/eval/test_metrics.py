"""HSNet-style IoU bookkeeping and the SAM-independent prompt metrics."""

from __future__ import annotations

import numpy as np
import pytest

from samic_core.eval.metrics import (
    IoUMeter,
    PromptMeter,
    components_hit,
    intersection_union,
    oracle_mask,
    points_inside,
    prompt_counts,
)


def _mask(shape, *boxes):
    m = np.zeros(shape, bool)
    for y0, y1, x0, x1 in boxes:
        m[y0:y1, x0:x1] = True
    return m


def test_intersection_union_counts_background_and_foreground():
    gt = _mask((4, 4), (0, 2, 0, 2))  # 4 px
    pred = _mask((4, 4), (0, 2, 1, 3))  # 4 px, 2 shared
    inter, union = intersection_union(pred, gt)
    assert inter.tolist() == [10, 2]  # bg: 16 - 6 covered by either
    assert union.tolist() == [14, 6]
    with pytest.raises(ValueError, match="shape"):
        intersection_union(pred, gt[:3])


def test_class_iou_sums_pixels_over_episodes_not_episode_means():
    meter = IoUMeter()
    big = _mask((10, 10), (0, 10, 0, 10))
    # episode 1: perfect on a 100 px object; episode 2: misses a 1 px object entirely
    assert meter.update("a", big, big) == 1.0
    tiny = _mask((10, 10), (0, 1, 0, 1))
    assert meter.update("a", np.zeros((10, 10), bool), tiny) == 0.0
    assert meter.class_iou()["a"] == pytest.approx(100 / 101)  # not (1 + 0) / 2
    meter.update("b", np.zeros((10, 10), bool), tiny)
    assert meter.miou() == pytest.approx((100 / 101 + 0.0) / 2)


def test_fb_iou_is_mean_of_class_summed_bg_and_fg_iou():
    meter = IoUMeter()
    meter.add("a", np.array([8, 3]), np.array([10, 5]))
    meter.add("b", np.array([2, 1]), np.array([5, 5]))
    assert meter.fb_iou() == pytest.approx(((8 + 2) / (10 + 5) + (3 + 1) / (5 + 5)) / 2)
    assert meter.class_iou() == {"a": pytest.approx(0.6), "b": pytest.approx(0.2)}


def test_empty_union_counts_as_zero_like_hsnet_clamp():
    meter = IoUMeter()
    meter.update("a", np.zeros((3, 3), bool), np.zeros((3, 3), bool))
    assert meter.class_iou()["a"] == 0.0


def test_points_use_pixel_centres_and_ignore_points_outside():
    mask = np.zeros((4, 6), bool)
    mask[1, 2] = True
    pts = np.array([[2.0, 1.0], [2.4, 0.6], [1.49, 1.0], [-0.6, 0.0], [6.0, 1.0], [2.0, 3.6]])
    assert points_inside(pts, mask).tolist() == [True, True, False, False, False, False]


def test_oracle_selects_whole_components_hit_by_points():
    comps = np.zeros((5, 8), np.int32)
    comps[0:2, 0:2] = 1
    comps[3:5, 5:8] = 2
    comps[0:2, 5:7] = 3
    pts = np.array([[0.0, 0.0], [1.0, 1.0], [6.0, 4.0], [3.0, 3.0]])  # 1 twice, 2, background
    assert components_hit(pts, comps).tolist() == [1, 2]
    assert np.array_equal(oracle_mask(pts, comps), np.isin(comps, [1, 2]))
    assert not oracle_mask(np.zeros((0, 2)), comps).any()


def test_prompt_counts_and_meter_means_skip_undefined_classes():
    comps = np.zeros((5, 8), np.int32)
    comps[0:2, 0:2] = 1
    comps[3:5, 5:8] = 2
    mask = comps > 0
    c = prompt_counts(np.array([[0.0, 0.0], [1.0, 0.0], [4.0, 0.0]]), mask, comps)
    assert (c.points, c.inside, c.components, c.hit, c.empty) == (3, 2, 2, 1, 0)
    meter = PromptMeter()
    meter.add("a", c)
    meter.add("b", prompt_counts(np.zeros((0, 2)), mask, comps))  # no points: precision undefined
    assert meter.point_precision() == pytest.approx(2 / 3)
    assert meter.instance_recall() == pytest.approx((0.5 + 0.0) / 2)
    assert meter.points_per_image() == pytest.approx(1.5)
    assert meter.per_class["b"].empty == 1
