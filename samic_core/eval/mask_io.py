"""A dataset's images and ground-truth masks read from disk, checked from their headers first.

Sizes are checked against SAMIC's pixel budget and against each other before anything is
decoded, and every error names the file.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from samic_core.errors import FileProblem
from samic_core.export.limits import header_size
from samic_core.fileio import read_image_rgb

# Connected components smaller than this (pixels) are not counted as ground-truth parts.
MIN_COMPONENT_AREA = 16


def read_image(path: Path, mask: Path | None = None) -> np.ndarray:
    """RGB (H, W, 3) uint8 of a dataset image. Its size, and its `mask`'s, are read from the
    headers and checked against SAMIC's pixel budget and each other before anything is decoded."""
    h, w = header_size(path, "image")
    if mask is not None:
        check_mask_header(mask, (h, w), turned=True)
    return read_image_rgb(path)


def check_mask_header(path: Path, shape: tuple[int, int] | None, turned: bool = False) -> None:
    """Refuse a mask over the pixel budget, or of another size than its image, from its header
    alone (before decoding). turned: the decoder applies EXIF orientation, so either way round
    may match here (the decoded size is checked exactly after)."""
    h, w = header_size(path, "mask")
    if shape is not None and (h, w) != tuple(shape) and not (turned and (w, h) == tuple(shape)):
        raise FileProblem(path, f"mask is {w}x{h} but its image is {shape[1]}x{shape[0]}")


def read_mask(path: Path, fg_threshold: int, shape: tuple[int, int] | None = None) -> np.ndarray:
    """(H, W) bool foreground of a mask image: grey value >= fg_threshold; errors name the file."""
    check_mask_header(path, shape, turned=True)
    try:
        data = np.fromfile(str(path), np.uint8)
    except OSError as e:
        raise FileProblem(path, f"cannot read mask ({e.strerror or e})") from e
    grey = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE) if data.size else None
    if grey is None:
        raise FileProblem(path, "not a readable mask image")
    if shape is not None and grey.shape != tuple(shape):
        raise FileProblem(
            path,
            f"mask is {grey.shape[1]}x{grey.shape[0]} but its image is {shape[1]}x{shape[0]}",
        )
    return grey >= fg_threshold


def mask_components(mask: np.ndarray, min_area: int = MIN_COMPONENT_AREA) -> tuple[np.ndarray, int]:
    """8-connected parts of `mask` with at least `min_area` pixels, as (labels int32, count)."""
    n, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    labels = labels.astype(np.int32)
    if n <= 1:
        return np.zeros(mask.shape, np.int32), 0
    areas = np.bincount(labels.ravel(), minlength=n)
    keep = [i for i in range(1, n) if areas[i] >= min_area]
    lut = np.zeros(n, np.int32)
    lut[keep] = np.arange(1, len(keep) + 1, dtype=np.int32)
    return lut[labels], len(keep)
