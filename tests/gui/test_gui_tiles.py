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
    # a point for the object begun zoomed out at (300, 300): no tile holds both points, so the
    # object is decoded on the whole image (never a tile with one of its points left out)
    spanning = click(qtbot, window, 1500, 900)
    assert spanning.tile is None and len(spanning.request.key.points) == 2
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


def test_an_image_too_big_to_annotate_is_refused_before_it_is_decoded(tmp_path: Path, monkeypatch):
    import sambox.controllers.project as project_module
    from sambox.controllers.project import ProjectController
    from samic_core.errors import ImageReadError

    folder = tmp_path / "scans"
    folder.mkdir()
    assert cv2.imwrite(str(folder / "huge.png"), np.zeros((300, 400, 3), np.uint8))
    assert cv2.imwrite(str(folder / "fine.png"), np.zeros((100, 100, 3), np.uint8))
    monkeypatch.setattr(project_module, "MAX_PIXELS", 100_000)  # 400 x 300 is over it
    decoded = []
    real_open = project_module.open_raster
    monkeypatch.setattr(
        project_module, "open_raster", lambda p, *a: decoded.append(p) or real_open(p, *a)
    )
    project = ProjectController()
    assert project.open_folder(folder)
    with pytest.raises(ImageReadError, match=r"huge\.png.*400 x 300 pixels .*Cut it into parts"):
        project.load("huge.png")
    assert decoded == []  # refused from the header: nothing was decoded
    doc, raster = project.load("fine.png")
    assert raster.pixels.shape == (100, 100, 3) and doc.width == 100 and not raster.mapped


def test_a_400_megapixel_header_is_refused_although_pillow_calls_it_a_bomb(tmp_path: Path):
    """PNG headers of 400 MP and 1,600 MP (no pixels behind them): Pillow refuses to open either
    as a decompression bomb; the app reads their sizes, opens the first (memory-mapped, see
    test_gui_big_image.py) and refuses the second, over what an annotation holds."""
    import struct
    import zlib

    from sambox.controllers.project import check_openable
    from samic_core.errors import ImageReadError
    from samic_core.fileio import image_size

    def header(side: int) -> Path:
        ok, buf = cv2.imencode(".png", np.zeros((4, 4, 3), np.uint8))
        data = bytearray(buf.tobytes())
        at = data.index(b"IHDR")
        data[at + 4 : at + 12] = struct.pack(">II", side, side)
        data[at + 17 : at + 21] = struct.pack(">I", zlib.crc32(bytes(data[at : at + 17])))
        path = tmp_path / f"aerial{side}.png"
        path.write_bytes(bytes(data))
        return path

    assert image_size(header(20000)) == (20000, 20000)
    check_openable(header(20000))  # 400 MP: opened
    big = header(40000)
    assert image_size(big) == (40000, 40000)
    with pytest.raises(ImageReadError, match=r"aerial40000\.png.*40000 x 40000 pixels \(1600 MP\)"):
        check_openable(big)
