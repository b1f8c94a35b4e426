"""Read label masks as distributed: binary PNG/JPEG, grey index PNGs and palette (indexed) PNGs.

cv2 decodes a palette PNG to its colours; the label is the palette index, so label masks are read
with Pillow, which keeps the indices (mode "P") or the grey values (mode "L").
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from samic_core.errors import FileProblem
from samic_core.export.limits import header_size

LOSSY_SUFFIXES = (".jpg", ".jpeg")


def read_labels(path: Path, shape: tuple[int, int] | None = None) -> np.ndarray:
    """(H, W) uint8/uint16 label values of a mask file; errors name the file.

    The size is read from the header and checked (pixel budget, `shape`) before decoding.
    """
    h, w = header_size(path, "mask")
    if shape is not None and (h, w) != tuple(shape):
        raise FileProblem(path, f"mask is {w}x{h} but its image is {shape[1]}x{shape[0]}")
    try:
        with Image.open(path) as im:
            if im.mode in ("P", "L", "I;16", "I"):
                labels = np.array(im)
            else:
                labels = np.array(im.convert("L"))
    except FileNotFoundError as e:
        raise FileProblem(path, "mask file does not exist") from e
    except (OSError, UnidentifiedImageError) as e:
        raise FileProblem(path, f"not a readable mask image ({e})") from e
    if shape is not None and labels.shape != tuple(shape):
        raise FileProblem(
            path,
            f"mask is {labels.shape[1]}x{labels.shape[0]} but its image is {shape[1]}x{shape[0]}",
        )
    return labels


def foreground(labels: np.ndarray, path: Path) -> np.ndarray:
    """Any object: value >= 128 for a JPEG mask (lossy edges around 0/255), else value > 0."""
    if path.suffix.lower() in LOSSY_SUFFIXES:
        return labels >= 128
    return labels > 0
