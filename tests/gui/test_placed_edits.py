"""Hand edits on masks kept as rectangles (sambox/model/mask_edit.py, placed.py): the same
pixels as the full-size rasterisers paint, at any sub-pixel position, on small and big images."""

from __future__ import annotations

import numpy as np
import pytest

import sambox.model.placed as placed
from sambox.model.mask_edit import (
    apply_region,
    gesture_box,
    is_empty_box,
    paint,
    polygon_mask,
    polygon_region,
    shifted,
    stroke_mask,
    stroke_region,
)

SHAPE = (300, 400)


def _stroke(mask, origin, points, radius, erase):
    stroke = stroke_region(points, radius, SHAPE)
    return None if stroke is None else apply_region(mask, origin, *stroke, erase, SHAPE)


@pytest.mark.parametrize("big", [False, True])
def test_strokes_and_polygons_paint_what_full_size_ones_paint(big, monkeypatch):
    if big:
        monkeypatch.setattr(placed, "PLACED_PIXELS", 1000)  # 300 x 400 keeps rectangles
    rng = np.random.default_rng(0)
    full = np.zeros(SHAPE, bool)
    mask, origin = None, (0, 0)
    for i in range(60):
        n = int(rng.integers(1, 4))
        points = [(float(x), float(y)) for x, y in rng.uniform(-20, 420, (n, 2)) * (1, 0.75)]
        points = [(round(x * 2) / 2, round(y * 2) / 2) for x, y in points]  # halves too
        radius, erase = float(rng.integers(1, 12)), bool(i % 3 == 2)
        out = _stroke(mask, origin, points, radius, erase)
        expect = paint(full, stroke_mask(SHAPE, points, radius), erase)
        if out is None:
            assert np.array_equal(expect, full)  # wholly outside: nothing painted
            continue
        mask, origin = out
        full = expect
        assert np.array_equal(placed.paste(mask, origin, SHAPE), full)
        if big:  # the mask's own rectangle
            tight, at = placed.tight(full, (0, 0))
            assert at == origin and tight.shape == mask.shape
        else:  # the whole image's, as always
            assert mask.shape == SHAPE and origin == (0, 0)
    vertices = [(50.5, 40.0), (120.0, 60.5), (90.5, 130.5)]
    polygon = polygon_region(vertices, SHAPE)
    assert polygon is not None and polygon_region([(-9.0, -9.0), (-5.0, -9.0), (-5.0, -5.0)],
                                                  SHAPE) is None  # fmt: skip
    got = apply_region(None, (0, 0), *polygon, False, SHAPE)
    assert np.array_equal(placed.paste(*got, SHAPE), polygon_mask(SHAPE, vertices))


def test_a_gesture_outside_the_image_is_empty_and_an_empty_mask_has_no_place():
    assert is_empty_box(gesture_box([(-50.0, -60.0), (-30.0, -40.0)], 5, SHAPE))
    assert is_empty_box(gesture_box([(500.0, 10.0)], 3, SHAPE))
    empty = np.zeros((1, 1), bool)  # what an erased object keeps, at its old corner
    box = gesture_box([(390.0, 290.0)], 4, SHAPE)
    region = stroke_mask((box[2] - box[0], box[3] - box[1]), shifted([(390.0, 290.0)], box), 4)
    mask, origin = apply_region(empty, (0, 0), region, (box[0], box[1], box[2], box[3]), False,
                                (10**5, 10**5))  # fmt: skip  # a big image
    assert origin[0] > 200 and mask.shape[0] < 20  # not joined to the (0, 0) corner
