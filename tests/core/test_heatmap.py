"""Heat maps from points and points from heat maps, against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from samic_core.heatmap import heatmap_to_peaks, heatmap_to_points, points_to_heatmap


def test_single_point_formula_at_full_size():
    # H=50, W=100, point at pixel (x=30, y=20); the paper's formula with sigma=0.02
    heat = points_to_heatmap([(30, 20)], (50, 100))
    assert heat.shape == (50, 100)
    assert heat.dtype == np.float32
    assert heat[20, 30] == pytest.approx(1.0)
    # one pixel right: exp(-(1/100)^2 / (2 * 0.02^2)) = exp(-0.125)
    assert heat[20, 31] == pytest.approx(math.exp(-0.125), rel=1e-6)
    # one pixel down: exp(-(1/50)^2 / (2 * 0.02^2)) = exp(-0.5)
    assert heat[21, 30] == pytest.approx(math.exp(-0.5), rel=1e-6)
    # diagonal: exp(-0.125 - 0.5)
    assert heat[19, 29] == pytest.approx(math.exp(-0.625), rel=1e-6)


def test_sum_of_points_then_divided_by_max():
    # two points 2 px apart on a 1x... wide map: the sum peaks between them, max-normalised
    heat = points_to_heatmap([(10, 0), (12, 0)], (1, 100))
    g = lambda d: math.exp(-((d / 100) ** 2) / (2 * 0.02**2))  # noqa: E731
    raw11 = 2 * g(1)
    raw10 = g(0) + g(2)
    peak = max(raw11, raw10)
    assert heat[0, 11] == pytest.approx(raw11 / peak, rel=1e-6)
    assert heat[0, 10] == pytest.approx(raw10 / peak, rel=1e-6)
    assert heat.max() == pytest.approx(1.0)


def test_no_points_gives_zero_map():
    heat = points_to_heatmap([], (10, 20))
    assert heat.shape == (10, 20) and not heat.any()
    assert heatmap_to_points(heat).shape == (0, 2)


def test_heatmap_at_another_size_keeps_peak_position():
    # original 400 x 600 (H x W); point at (450, 100) -> normalised (0.7508, 0.2513)
    heat = points_to_heatmap([(450, 100)], (400, 600), out_size=(224, 224))
    iy, ix = np.unravel_index(np.argmax(heat), heat.shape)
    assert (ix, iy) == (168, 56)  # floor(0.7508 * 224), floor(0.2513 * 224)


def test_peaks_round_trip_multiple_instances_non_square():
    H, W = 300, 500
    points = [(60.0, 50.0), (400.0, 220.0), (250.0, 150.0)]
    heat = points_to_heatmap(points, (H, W))
    found = heatmap_to_points(heat, (H, W))
    assert found.shape == (3, 2)
    for p in points:
        d = np.min(np.hypot(found[:, 0] - p[0], found[:, 1] - p[1]))
        assert d < 0.5


def test_peaks_from_small_map_in_original_pixels():
    H, W = 480, 640
    heat = points_to_heatmap([(320, 120), (100, 400)], (H, W), out_size=(224, 224))
    found = heatmap_to_points(heat, (H, W))
    assert len(found) == 2
    for p in [(320, 120), (100, 400)]:
        d = np.min(np.hypot(found[:, 0] - p[0], found[:, 1] - p[1]))
        assert d < 2.0  # within one heat-map pixel (640/224 = 2.9 px) of the click


def test_threshold_and_hand_made_components():
    heat = np.zeros((10, 12), np.float32)
    heat[1:4, 1:4] = 0.9  # 3x3 block, centroid (2, 2)
    heat[6, 8:11] = 0.6  # 1x3 line, centroid (9, 6)
    heat[8, 1] = 0.7  # single pixel (1, 8)
    heat[5, 5] = 0.49  # below threshold
    peaks = heatmap_to_peaks(heat)
    got = sorted((p.x, p.y, p.area) for p in peaks)
    assert got == [(1.0, 8.0, 1), (2.0, 2.0, 9), (9.0, 6.0, 3)]
    assert [p.score for p in peaks] == pytest.approx([0.9, 0.7, 0.6])


def test_ring_component_centroid_ignores_hole():
    heat = np.zeros((9, 9), np.float32)
    heat[2:7, 2:7] = 1.0
    heat[4, 4] = 0.0  # hole in the middle
    heat[2, 2:7] = 1.0
    (peak,) = heatmap_to_peaks(heat)
    assert (peak.x, peak.y, peak.area) == (4.0, 4.0, 24)


def test_nothing_above_threshold_is_not_an_error():
    assert heatmap_to_peaks(np.full((5, 5), 0.3, np.float32)) == []


def test_rejects_non_2d():
    with pytest.raises(ValueError, match="2-D"):
        heatmap_to_peaks(np.zeros((2, 2, 2)))
