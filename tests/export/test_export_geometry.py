"""Pixel-edge polygons: tracing and rasterising give back the mask exactly, holes included."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_utils

from samic_core.export.geometry import (
    bridge_rings,
    mask_bbox,
    mask_to_rings,
    polygon_to_mask,
    signed_area,
)


def _shapes() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    s = (60, 80)
    disk = np.zeros(s, np.uint8)
    cv2.circle(disk, (40, 30), 20, 1, -1)
    ring = disk.copy()
    cv2.circle(ring, (40, 30), 8, 0, -1)
    island = ring.copy()
    cv2.circle(island, (40, 30), 3, 1, -1)
    diag = np.eye(12, dtype=np.uint8)
    return {
        "disk": disk.astype(bool),
        "ring": ring.astype(bool),
        "island_in_hole": island.astype(bool),
        "diagonal_pixels": np.pad(diag, 3).astype(bool),
        "noise": rng.random(s) > 0.5,
        "blobs": cv2.GaussianBlur(rng.random(s), (0, 0), 2) > 0.5,
        "edge_touching": np.ones(s, bool),
        "one_pixel": np.pad(np.ones((1, 1), bool), 4),
    }


@pytest.mark.parametrize("name", list(_shapes()))
def test_rings_and_bridged_polygon_rasterise_back_exactly(name: str) -> None:
    mask = _shapes()[name]
    rings = mask_to_rings(mask)
    assert np.array_equal(polygon_to_mask([r.points for r in rings], mask.shape), mask)
    assert np.array_equal(polygon_to_mask([bridge_rings(rings)], mask.shape), mask)


def test_orientation_marks_holes_and_collinear_points_are_dropped() -> None:
    mask = np.zeros((10, 12), bool)
    mask[2:8, 3:10] = True
    (outer,) = mask_to_rings(mask)
    assert not outer.hole and len(outer.points) == 4
    assert signed_area(outer.points) == pytest.approx(6 * 7)
    assert outer.points.min(0).tolist() == [3, 2] and outer.points.max(0).tolist() == [10, 8]
    mask[4:6, 5:7] = False
    rings = mask_to_rings(mask)
    assert sorted(r.hole for r in rings) == [False, True]
    assert sum(signed_area(r.points) for r in rings) == pytest.approx(mask.sum())


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
def test_pycocotools_rasterises_outer_rings_like_polygon_to_mask() -> None:
    """Same pixel convention as COCO's reference rasteriser: each ring, and their union."""
    mask = _shapes()["blobs"]
    outer = [r for r in mask_to_rings(mask) if not r.hole]
    assert len(outer) > 3
    union = np.zeros_like(mask)
    for r in outer:
        ours = polygon_to_mask([r.points], mask.shape)
        coco = mask_utils.decode(mask_utils.frPyObjects([r.points.ravel().tolist()], *mask.shape))
        assert np.array_equal(coco[..., 0].astype(bool), ours)
        union |= ours
    polys = [r.points.ravel().tolist() for r in outer]
    rle = mask_utils.merge(mask_utils.frPyObjects(polys, *mask.shape))
    assert np.array_equal(mask_utils.decode(rle).astype(bool), union)


def test_empty_mask_and_bbox() -> None:
    empty = np.zeros((5, 5), bool)
    assert mask_to_rings(empty) == []
    assert mask_bbox(empty) is None
    m = empty.copy()
    m[1:3, 2:5] = True
    assert mask_bbox(m) == (2, 1, 3, 2)
