"""A big image in the app: drawn from an overview and by regions, masks kept as rectangles,
edited and saved as on any image (thresholds lowered so a 2.4 MP image counts as big)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from gui_helpers import click, key, make_window, open_folder, start_engine

import sambox.model.placed as placed
import samic_core.raster as raster
from sambox.model.mask_edit import stroke_mask
from samic_core.testing import make_blob_image


@pytest.fixture
def big_window(qtbot, settings, tmp_path: Path, monkeypatch):
    monkeypatch.setattr(raster, "RASTER_PIXELS", 1_000_000)
    monkeypatch.setattr(raster, "OVERVIEW_SIDE", 500)
    monkeypatch.setattr(placed, "PLACED_PIXELS", 1_000_000)
    folder = tmp_path / "aerial"
    folder.mkdir()
    rgb = make_blob_image(1200, 2000, [(300, 300, 60), (1500, 900, 25)], seed=4)
    assert cv2.imwrite(str(folder / "big.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    w = make_window(qtbot, settings)
    start_engine(qtbot, w)
    open_folder(qtbot, w, folder)
    yield w, rgb
    w.close()


def test_a_big_image_is_drawn_by_regions_and_its_masks_are_rectangles(qtbot, big_window):
    window, rgb = big_window
    canvas = window.canvas
    assert canvas.is_big and canvas.raster is not None and canvas.raster.mapped
    assert np.array_equal(np.asarray(canvas.raster.pixels), rgb)  # the memory map is the image
    assert canvas._image.pixmap().width() == 500  # the overview, not a 2000 px pixmap
    canvas.fit()
    whole = click(qtbot, window, 300, 300)
    obj = window.editor.current
    assert obj.mask is whole.mask and obj.origin == whole.origin
    assert obj.mask.shape != (1200, 2000) or whole.origin != (0, 0) or obj.mask.all()
    full = window.editor.doc.instances()  # the map pasted from the rectangles
    assert full.shape == (1200, 2000) and (full == obj.id).sum() == obj.mask.sum()
    # the overlay is drawn for the view at about the screen's resolution, not the image's
    qtbot.waitUntil(lambda: not canvas._fill.pixmap().isNull(), timeout=5000)
    assert canvas._fill.pixmap().width() < 2000

    canvas.zoom_by(8)
    canvas.centerOn(1500, 900)
    qtbot.waitUntil(lambda: not canvas._detail.pixmap().isNull(), timeout=5000)
    y0, x0, y1, x1 = canvas.visible_region()
    assert x1 - x0 < 1000 and canvas._detail.pos().x() <= x0  # full-resolution pixels in view
    key(qtbot, window, "N")
    small = click(qtbot, window, 1500, 900)
    assert small.origin != (0, 0) and small.mask.shape[0] < 1200  # the object's rectangle

    # a brush stroke joins the stroke's rectangle to the mask's
    before = window.editor.current
    stroke = [(1450.0, 860.0), (1470.0, 860.0)]
    assert window.editor.paint_stroke(stroke, 6, erase=False)
    after = window.editor.current
    expect = placed.paste(before.mask, before.origin, (1200, 2000))
    expect |= stroke_mask((1200, 2000), stroke, 6)  # what a full-size stroke paints
    assert np.array_equal(placed.paste(after.mask, after.origin, (1200, 2000)), expect)
    assert after.mask.size < 1200 * 2000

    # saved and opened again: the same instance map (later objects win overlaps, as on any
    # image), each mask still a rectangle
    doc = window.editor.doc
    instances = doc.instances()
    window.session.flush()
    window.session.current = None
    assert window.session.open_image("big.png")
    again = window.editor.doc
    assert len(again.objects) == 2 and np.array_equal(again.instances(), instances)
    assert all(o.mask.size < 1200 * 2000 for o in again.objects)
