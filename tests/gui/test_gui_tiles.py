"""Zoomed in on a big image, a click is decoded in a full-resolution tile (tiny real SAM)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from gui_helpers import click, key, make_window, open_folder, start_engine
from PySide6.QtCore import Qt

from samic_core.sam.tiled import tile_key
from samic_core.testing import make_blob_image
from samic_core.tiles import TileGrid

RIGHT = Qt.MouseButton.RightButton


@pytest.fixture
def big_window(qtbot, settings, tmp_path: Path):
    folder = tmp_path / "aerial"
    blobs = [(300, 300, 60), (1500, 900, 25), (1900, 1100, 20)]
    folder.mkdir()
    rgb = make_blob_image(1200, 2000, blobs, seed=4)
    assert cv2.imwrite(str(folder / "big.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    w = make_window(qtbot, settings)
    start_engine(qtbot, w)
    open_folder(qtbot, w, folder)
    yield w
    w.close()


def test_zoomed_in_click_is_decoded_in_a_tile_zoomed_out_on_the_whole_image(qtbot, big_window):
    window = big_window
    window.canvas.fit()
    whole = click(qtbot, window, 300, 300)
    assert whole.tile is None and whole.request.view is not None
    assert whole.mask.shape == (1200, 2000)

    window.canvas.zoom_by(12)
    window.canvas.centerOn(1500, 900)
    y0, x0, y1, x1 = window.canvas.visible_region()
    assert y0 <= 900 < y1 and x0 <= 1500 < x1 and x1 - x0 < 1000  # zoomed in on the object
    key(qtbot, window, "N")  # a new object
    first = click(qtbot, window, 1500, 900)
    assert first.tile is not None
    ty0, tx0, ty1, tx1 = first.tile
    assert ty0 <= 900 < ty1 and tx0 <= 1500 < tx1 and (ty1 - ty0, tx1 - tx0) == (1024, 1024)
    assert first.mask.shape == (1200, 2000)  # pasted back at the image's full resolution
    doc_obj = window.editor.current
    assert doc_obj.mask is first.mask and doc_obj.low_res_tile == first.tile
    # the tile's embedding is cached on disk like a whole image's
    engine = window.service.engine
    sha = engine.image_sha256(window.editor.doc.image_path)
    tile = next(
        t for t in TileGrid(1200, 2000, 1024, 256) if (t.y0, t.x0, t.y1, t.x1) == first.tile
    )
    assert engine.cache.contains(tile_key(sha, tile), engine.model_id)
    # a second prompt in the same tile feeds the tile's logits back
    second = click(qtbot, window, 1520, 930, RIGHT)
    assert second.tile == first.tile and second.request.input_tile == first.tile
    assert second.request.mask_input is first.low_res and second.candidate is None
    # zoomed out again: the whole image's embedding; the tile's logits are not fed to it
    window.canvas.fit()
    third = click(qtbot, window, 1490, 890)
    assert third.tile is None and third.request.input_tile == first.tile
    assert np.asarray(third.mask).shape == (1200, 2000)
