"""EXIF orientation is applied where images are read, as Pillow's exif_transpose (and labelme)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from samic_core.export.importing import image_size
from samic_core.fileio import EXIF_ORIENTATION_TAG, exif_orientation, read_image_rgb


def _photo(path: Path, orientation: int) -> np.ndarray:
    """A 30x20 JPEG-free (PNG can carry EXIF too) image with an orientation tag; raw pixels."""
    rng = np.random.default_rng(orientation)
    raw = rng.integers(0, 255, (20, 30, 3), np.uint8)
    exif = Image.Exif()
    exif[EXIF_ORIENTATION_TAG] = orientation
    Image.fromarray(raw).save(path, exif=exif.tobytes())
    return raw


@pytest.mark.parametrize("orientation", range(1, 9))
def test_read_image_rgb_matches_pillow_exif_transpose(tmp_path: Path, orientation: int):
    path = tmp_path / f"o{orientation}.png"
    _photo(path, orientation)
    assert exif_orientation(path) == orientation
    with Image.open(path) as im:
        expected = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    got = read_image_rgb(path)
    np.testing.assert_array_equal(got, expected)
    assert image_size(path) == got.shape[:2]  # import checks sizes against the upright image


def test_no_or_broken_exif_is_orientation_1(tmp_path: Path):
    path = tmp_path / "plain.png"
    Image.fromarray(np.zeros((4, 6, 3), np.uint8)).save(path)
    assert exif_orientation(path) == 1 and exif_orientation(b"not an image") == 1
    assert read_image_rgb(path).shape == (4, 6, 3)
