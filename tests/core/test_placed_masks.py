"""Masks of big images kept as rectangles: upscaled only where they are (sam/placed.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from samic_core.sam.build import open_engine
from samic_core.sam.placed import placed_mask
from samic_core.sam.types import Prompt, paste
from samic_core.testing import make_blob_image


@pytest.mark.parametrize("out_hw", [(700, 1300), (1300, 700), (97, 53), (256, 256)])
def test_region_resize_equals_the_full_resize(out_hw):
    g = torch.Generator().manual_seed(0)
    frame = torch.randn(64, 48, generator=g) - 1.5  # a few positive islands
    frame[10:20, 30:40] += 4
    full = F.interpolate(frame[None, None], out_hw, mode="bilinear", align_corners=False)[0, 0]
    mask, origin = placed_mask(frame, out_hw, 0.0)
    expected = (full > 0).numpy()
    assert np.array_equal(paste(mask, origin, out_hw), expected)
    ys, xs = np.nonzero(expected)
    assert origin == (ys.min(), xs.min())  # the tight rectangle
    assert mask.shape == (ys.max() - ys.min() + 1, xs.max() - xs.min() + 1)


def test_an_empty_mask_is_one_false_pixel():
    mask, origin = placed_mask(torch.full((32, 32), -5.0), (4000, 3000), 0.0)
    assert mask.shape == (1, 1) and not mask.any() and origin == (0, 0)


def test_placed_decode_equals_the_full_decode(any_sam_checkpoint):
    engine = open_engine(any_sam_checkpoint, device="cpu")
    image = make_blob_image(600, 900, [(300, 200, 60), (700, 400, 80)], 1)
    emb = engine.encode(image)
    box = Prompt.from_points([], [], box=(600, 300, 820, 500))
    for prompt in (Prompt.from_points([(300, 200)], [1]), box):
        full = engine.decode(emb, prompt)
        placed = engine.decode(emb, prompt, placed=True)
        assert placed.score == full.score
        diff = placed.full_mask(full.mask.shape) != full.mask
        # the same taps and weights; only float rounding of a logit at the threshold differs
        assert diff.sum() <= max(2, 1e-4 * full.mask.sum())
        ys, xs = np.nonzero(full.mask)
        assert abs(placed.origin[0] - ys.min()) <= 1 and abs(placed.origin[1] - xs.min()) <= 1


def test_a_big_file_is_encoded_from_its_overview(any_sam_checkpoint, tmp_path, monkeypatch):
    import cv2

    from samic_core import raster

    monkeypatch.setattr(raster, "RASTER_PIXELS", 100_000)  # 600 x 900 is "big" here
    image = make_blob_image(600, 900, [(300, 200, 60), (700, 400, 80)], 1)
    path = tmp_path / "big.png"
    assert cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    engine = open_engine(any_sam_checkpoint, device="cpu")
    emb, cached = engine.embed_file(path)
    assert not cached and emb.original_size == (600, 900)
    names = [p.name for p in raster_files()]  # its overview on disk, no copy of its pixels
    assert any(n.endswith(".overview.npy") for n in names)
    assert not any(n.endswith(".rgb") for n in names)
    direct = engine.encode(image)
    assert emb.input_size == direct.input_size
    prompt = Prompt.from_points([(300, 200)], [1])
    a = engine.decode(emb, prompt, placed=True).full_mask((600, 900))
    b = engine.decode(direct, prompt).mask
    assert (a & b).sum() / max(1, (a | b).sum()) > 0.8  # the same object, up to the resize


def raster_files() -> list:
    from samic_core.paths import rasters_dir

    return list(rasters_dir().glob("*"))


def test_placed_batched_clicks_equal_the_full_ones(any_sam_checkpoint):
    engine = open_engine(any_sam_checkpoint, device="cpu")
    image = make_blob_image(500, 700, [(200, 150, 50), (500, 300, 70)], 2)
    emb = engine.encode(image)
    points = np.array([[200.0, 150.0], [500.0, 300.0], [650.0, 450.0]])
    full = engine.decode_points(emb, points)
    placed = engine.decode_points(emb, points, placed=True)
    for f, p in zip(full, placed, strict=True):
        assert p.score == f.score and p.candidate == f.candidate
        diff = p.full_mask((500, 700)) != f.mask
        assert diff.sum() <= max(2, 1e-4 * f.mask.sum())
