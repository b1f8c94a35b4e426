"""Tiles of big images: the grid, `--tile` rules, and clicks decoded in tiles and joined."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from samic_core.sam.cache import EmbeddingCache
from samic_core.sam.engine import SamEngine
from samic_core.sam.tiled import TiledImage, deepest_point, tile_key
from samic_core.sam.types import ImageEmbedding, MaskResult, Prompt, paste, placed_iou
from samic_core.testing import make_blob_image
from samic_core.tiles import TileGrid, parse_tile, sam_grid, samic_grid
from samic_core.tiles.spec import samic_tile_for_objects, samic_train_tile


# ---- the grid ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("h", "w", "size", "overlap"),
    [(1000, 2500, 512, 128), (300, 300, 512, 64), (1024, 1025, 256, 0), (777, 5000, 1024, 256)],
)
def test_grid_covers_the_image_with_full_tiles_that_overlap(h, w, size, overlap):
    grid = TileGrid(h, w, size, overlap)
    covered = np.zeros((h, w), np.uint8)
    for t in grid:
        assert 0 <= t.y0 < t.y1 <= h and 0 <= t.x0 < t.x1 <= w
        assert t.hw == (min(size, h), min(size, w))  # every tile is whole, also the last ones
        covered[t.slices] += 1
    assert covered.min() >= 1
    cols = grid.cols
    for a, b in zip(cols, cols[1:], strict=False):
        assert a + size - b >= overlap  # neighbours share at least the overlap
    assert len(grid) == len(grid.rows) * len(grid.cols) == len(list(grid))


def test_grid_of_a_small_image_is_the_image():
    grid = TileGrid(300, 400, 512, 128)
    assert grid.is_whole and [t.hw for t in grid] == [(300, 400)]


def test_best_tile_keeps_the_points_away_from_cuts():
    grid = TileGrid(1000, 2000, 512, 128)
    pts = np.array([[400.0, 300.0]])
    tile = grid.best_tile(pts)
    assert tile.contains(pts).all()
    margin = grid.inner_margin(tile, pts).min()
    for other in grid:  # no tile holding the point has it farther from a cut
        if other.contains(pts).all():
            assert grid.inner_margin(other, pts).min() <= margin
    far = np.array([[10.0, 10.0], [1990.0, 990.0]])  # no tile holds both: the one holding one
    assert grid.best_tile(far).contains(far).sum() == 1


def test_tile_spec_parsing_and_rules():
    assert parse_tile("auto") == "auto" and parse_tile("OFF") == "off" and parse_tile("512") == 512
    for bad in ("big", "12", "-3"):
        with pytest.raises(ValueError, match="tile"):
            parse_tile(bad)
    # SAM: ordinary photos stay whole under auto; big ones get 1024 px tiles
    assert sam_grid("auto", (3024, 4032)) is None
    grid = sam_grid("auto", (6000, 8000))
    assert grid is not None and grid.size == 1024 and grid.overlap == 256
    assert sam_grid("off", (6000, 8000)) is None and sam_grid(512, (600, 800)).size == 512
    # SAMIC: the tile makes a typical object 1/10 of the input side, as in ordinary images
    assert samic_tile_for_objects(np.array([40.0, 44.0, 48.0]), 224) == 448
    assert samic_tile_for_objects(np.array([10.0]), 224) == 224  # never enlarges pixels
    sizes = [(6000, 8000)] * 4
    assert samic_train_tile("auto", sizes, np.array([45.0] * 10), 224) == 448
    assert samic_train_tile("auto", [(480, 640)], np.array([80.0]), 224) is None  # ordinary
    assert samic_train_tile("auto", sizes, np.zeros(3), 224) is None  # sizes unknown
    assert samic_train_tile(512, sizes, np.zeros(3), 224) == 512
    assert samic_grid("auto", (6000, 8000), None) is None  # trained whole: predicts whole
    assert samic_grid("auto", (6000, 8000), 352).size == 352
    assert samic_grid("off", (6000, 8000), 352) is None


# ---- placed masks -----------------------------------------------------------------------------
def _placed(mask: np.ndarray, origin: tuple[int, int]) -> MaskResult:
    return MaskResult(mask, 1.0, np.zeros((1, 256, 256), np.float32), None, np.ones(1), origin)


def test_placed_masks_paste_and_compare_like_full_ones():
    rng = np.random.default_rng(0)
    a = rng.random((30, 40)) > 0.4
    b = rng.random((25, 20)) > 0.4
    ra, rb = _placed(a, (10, 50)), _placed(b, (20, 60))
    fa, fb = ra.full_mask((100, 120)), rb.full_mask((100, 120))
    assert fa.sum() == a.sum() and fa[10:40, 50:90].sum() == a.sum()
    expected = np.logical_and(fa, fb).sum() / np.logical_or(fa, fb).sum()
    assert placed_iou(ra, rb) == pytest.approx(expected)
    assert placed_iou(ra, _placed(b, (90, 0))) == 0.0
    assert paste(a, (-5, -5), (20, 20)).sum() == a[5:25, 5:25].sum()  # clipped at the border


# ---- tiled decoding with a real (tiny) SAM ----------------------------------------------------
@pytest.fixture(scope="module")
def big_image() -> np.ndarray:
    return make_blob_image(700, 900, [(150, 200, 40), (640, 500, 45), (450, 300, 30)], seed=3)


def test_tile_click_is_the_crop_decoded_alone_and_cached_by_tile(tiny_sam_checkpoint, big_image,
                                                                tmp_path: Path):  # fmt: skip
    cache = EmbeddingCache(tmp_path / "cache")
    engine = SamEngine(tiny_sam_checkpoint, "auto", "cpu", cache=cache)
    grid = TileGrid(700, 900, 512, 128)
    tiled = TiledImage(engine, big_image, "f" * 64, grid, "big.png", join_encodes=0)
    prompt = Prompt.from_points([(640.0, 500.0)])
    result = tiled.decode(prompt, multimask=False)
    tile = grid.best_tile(prompt.points)
    assert result.tile == (tile.y0, tile.x0, tile.y1, tile.x1)
    alone = SamEngine(tiny_sam_checkpoint, "auto", "cpu", cache=None)
    crop = np.ascontiguousarray(big_image[tile.slices])
    expected = alone.decode(alone.encode(crop), Prompt.from_points(tile.to_tile(prompt.points)),
                            multimask=False)  # fmt: skip
    # no neighbour may be encoded (join_encodes=0, none cached): exactly the tile's own decode
    assert np.array_equal(result.full_mask((700, 900))[tile.slices], expected.mask)
    assert result.score == pytest.approx(expected.score)
    assert cache.contains(tile_key("f" * 64, tile), engine.model_id)
    # the same clicks again (a new session on the folder) read the cached tiles: no encode
    calls = []
    engine.encode_batch = lambda *a, **k: calls.append(a)  # type: ignore[method-assign]
    cache.clear_memory()
    again = TiledImage(engine, big_image, "f" * 64, grid, "big.png", join_encodes=0).decode(
        prompt, multimask=False
    )
    assert calls == [] and np.array_equal(again.mask, result.mask)


def test_embed_all_encodes_each_tile_once(tiny_sam_checkpoint, big_image, tmp_path: Path):
    engine = SamEngine(tiny_sam_checkpoint, "auto", "cpu", cache=EmbeddingCache(tmp_path / "c"))
    grid = TileGrid(700, 900, 512, 128)
    tiled = TiledImage(engine, big_image, "a" * 64, grid)
    seen = []
    assert tiled.embed_all(lambda d, n, _name: seen.append((d, n))) == len(grid) == 6
    assert seen[-1] == (6, 6)
    assert TiledImage(engine, big_image, "a" * 64, grid).embed_all() == 0
    with pytest.raises(ValueError, match="tile grid"):
        TiledImage(engine, big_image, "a" * 64, TileGrid(600, 900, 512, 128))


# ---- joining across cuts, with an engine whose masks are known -------------------------------
class ComponentEngine:
    """A click engine for the joining logic: a click's mask is the connected component of the
    tile's bright pixels under it (what a good segmenter returns on these images)."""

    model_id = "components"
    device = torch.device("cpu")
    embedding_shapes = ((1, 1, 1, 1),)
    cache = None

    def __init__(self) -> None:
        self.encoded = 0

    def encode(self, crop, image_sha256=None, progress=None, name=""):
        self.encoded += 1
        feats = torch.from_numpy((crop[..., 0] > 128).astype(np.float32))[None, None]
        return ImageEmbedding(feats, crop.shape[:2], crop.shape[:2], self.model_id, image_sha256)

    def cache_put(self, emb, name):
        pass

    def decode(self, emb, prompt, multimask=None, candidate=None):
        bright = emb.features[0, 0].numpy().astype(np.uint8)
        _, labels = cv2.connectedComponents(bright)
        x, y = (int(round(v)) for v in prompt.points[0])
        mask = labels == labels[y, x] if bright[y, x] else np.zeros_like(bright, bool)
        return MaskResult(mask, 0.9, np.zeros((1, 256, 256), np.float32), None, np.ones(1))

    def decode_points(self, emb, points, chunk=16):
        return [self.decode(emb, Prompt.from_points(p[None])) for p in points]


def _bars() -> np.ndarray:
    image = np.zeros((600, 1400, 3), np.uint8)
    image[280:320, 100:1300] = 255  # a long bar through three tiles
    image[100:140, 100:140] = 255  # a small square inside one tile
    image[500:540, 470:560] = 255  # one lying across a cut
    return image


def test_an_object_spanning_tiles_is_joined_whole():
    image = _bars()
    engine = ComponentEngine()
    tiled = TiledImage(engine, image, "b" * 64, TileGrid(600, 1400, 512, 128))  # type: ignore[arg-type]
    truth = image[..., 0] > 128
    _, labels = cv2.connectedComponents(truth.astype(np.uint8))
    for click in ([120.0, 120.0], [700.0, 300.0], [500.0, 520.0], [1250.0, 290.0]):
        result = tiled.decode(Prompt.from_points([click]))
        want = labels == labels[int(click[1]), int(click[0])]
        assert np.array_equal(result.full_mask(truth.shape), want), click
        assert result.mask.shape == (
            np.ptp(np.nonzero(want)[0]) + 1,
            np.ptp(np.nonzero(want)[1]) + 1,
        )
    points = tiled.decode_points(np.array([[120.0, 120.0], [700.0, 300.0], [5.0, 5.0]]))
    assert [int(r.mask.sum()) for r in points] == [1600, 1200 * 40, 0]


def test_deepest_point_is_inside_and_central():
    mask = np.zeros((50, 80), bool)
    mask[10:30, 20:60] = True
    x, y = deepest_point(mask)
    assert mask[y, x] and 18 <= y <= 21 and 29 <= x <= 50  # on the ridge, 10 px from the edges
    assert deepest_point(np.zeros((5, 5), bool)) is None


def test_joining_stops_at_big_parts_and_at_the_encode_budget():
    image = np.zeros((600, 1400, 3), np.uint8)
    image[280:320, 100:1300] = 255  # a bar through three tiles
    engine = ComponentEngine()
    grid = TileGrid(600, 1400, 512, 128)
    budget = TiledImage(engine, image, "c" * 64, grid, join_encodes=1)  # type: ignore[arg-type]
    r = budget.decode(Prompt.from_points([[120.0, 300.0]]))
    assert engine.encoded == 2  # its own tile and one neighbour: the bar is cut short
    assert 0 < r.mask.sum() < 1200 * 40
    image[:, :700] = 255  # a region filling its whole tile: a click does not follow it
    engine = ComponentEngine()
    clicked = TiledImage(engine, image, "d" * 64, grid, join_encodes=3)  # type: ignore[arg-type]
    clicked.decode(Prompt.from_points([[100.0, 100.0]]))
    assert engine.encoded == 1
    engine = ComponentEngine()  # samic predict (no budget) follows it
    TiledImage(engine, image, "e" * 64, grid).decode(Prompt.from_points([[100.0, 100.0]]))  # type: ignore[arg-type]
    assert engine.encoded > 1


def test_fits_needs_every_point_inside_one_tile():
    grid = TileGrid(1000, 4096, 1024, 256)
    assert grid.fits(np.array([[700.0, 500.0], [900.0, 520.0]]))
    assert grid.cols[:2] == [0, 768]  # tiles [0, 1024) and [768, 1792) along x
    # 700 lies only in the first tile and 1024.0, on its far edge, only in the second
    assert not grid.fits(np.array([[700.0, 500.0], [1024.0, 500.0]]))
    assert not grid.fits(np.array([[10.0, 10.0], [3000.0, 10.0]]))
    assert grid.fits(np.zeros((0, 2)), np.array([100.0, 100.0, 1024.0, 600.0]))  # a box to the edge


def test_big_image_objects_at_the_border_are_clipped_not_a_crash():
    """An object drawn at the image's edge: its patch is clipped (seeds 1 and 16 of this small
    spec raised IndexError, and seed 2 of bench_tiles's 4000 x 3000 images did)."""
    from samic_core.testing.big_images import BigSpec, make_big_image

    spec = BigSpec(height=300, width=400, targets=60, lookalikes=60, clutter=10)
    for seed in (1, 16):
        im = make_big_image(spec, seed, 0)
        assert im.rgb.shape == (300, 400, 3) and len(im.clicks) == int(im.instances.max())
