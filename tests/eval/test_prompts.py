"""The mask -> reference clicks rule."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from samic_core.errors import SamicError
from samic_core.eval.metrics import points_inside
from samic_core.eval.prompts import PromptRule


def test_disk_gets_one_click_at_its_centre():
    mask = np.zeros((80, 80), np.uint8)
    cv2.circle(mask, (30, 45), 20, 1, -1)
    pts = PromptRule().points(mask.astype(bool))
    assert pts.shape == (1, 2)
    assert np.hypot(pts[0, 0] - 30, pts[0, 1] - 45) <= 1.5


def test_elongated_object_gets_spread_interior_clicks():
    mask = np.zeros((40, 120), bool)
    mask[15:25, 5:115] = True  # 10 px thick bar
    pts = PromptRule(points_per_component=3).points(mask)
    assert len(pts) == 3
    assert points_inside(pts, mask).all()
    gaps = [np.hypot(*(a - b)) for i, a in enumerate(pts) for b in pts[i + 1 :]]
    assert min(gaps) >= 0.8 * 5  # separated by at least min_separation x depth
    assert np.all(np.abs(pts[:, 1] - 19.5) <= 1)  # on the bar's mid-line


def test_each_component_gets_clicks_largest_first_and_specks_none():
    mask = np.zeros((60, 60), bool)
    mask[5:15, 5:15] = True  # 100 px
    mask[30:55, 30:55] = True  # 625 px
    mask[0:2, 58:60] = True  # 4 px speck, below min_area
    parts = PromptRule().component_points(mask)
    assert [int(p.sum()) for p, _ in parts] == [625, 100]
    for pixels, pts in parts:
        assert points_inside(pts, pixels).all()
    assert len(PromptRule(max_components=1).component_points(mask)) == 1


def test_interior_click_stays_inside_a_ring_where_the_centroid_does_not():
    mask = np.zeros((80, 80), np.uint8)
    cv2.circle(mask, (40, 40), 30, 1, -1)
    cv2.circle(mask, (40, 40), 15, 0, -1)
    ring = mask.astype(bool)
    assert points_inside(PromptRule("interior").points(ring), ring).all()
    assert not points_inside(PromptRule("centroid").points(ring), ring).any()


def test_empty_mask_gives_no_clicks_and_parse_reads_rules():
    assert PromptRule().points(np.zeros((10, 10), bool)).shape == (0, 2)
    assert PromptRule.parse("interior:5").points_per_component == 5
    assert PromptRule.parse("centroid").kind == "centroid"
    with pytest.raises(SamicError, match="unknown prompt rule"):
        PromptRule.parse("grid")
    with pytest.raises(SamicError, match="KIND:N"):
        PromptRule.parse("interior:x")
