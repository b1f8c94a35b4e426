"""Synthetic test images: coloured blobs on a textured background."""

from __future__ import annotations

import cv2
import numpy as np


def make_blob_image(
    height: int = 240,
    width: int = 320,
    blobs: list[tuple[int, int, int]] | None = None,
    seed: int = 0,
) -> np.ndarray:
    """RGB uint8 image with filled circles (cx, cy, r) in a warm colour on a noisy grey ground."""
    rng = np.random.default_rng(seed)
    image = rng.integers(60, 110, size=(height, width, 3), dtype=np.uint8)
    for cx, cy, r in blobs or [(width // 3, height // 2, min(height, width) // 8)]:
        cv2.circle(image, (int(cx), int(cy)), int(r), (220, 120, 40), thickness=-1)
    return image
