"""Images and points to network inputs; shared by training and prediction so both see the same.

Images are squashed to S x S without keeping the aspect ratio (as HSNet does); heat maps use the
foundation's normalised coordinates, which follow the same squash.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch

from samic_core.heatmap import points_to_heatmap


def resize_image(rgb: np.ndarray, size: int) -> np.ndarray:
    """RGB uint8 (H, W, 3) -> (S, S, 3) uint8; area averaging when shrinking, bilinear else."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected an RGB uint8 (H, W, 3) image, got {rgb.shape} {rgb.dtype}")
    h, w = rgb.shape[:2]
    interp = cv2.INTER_AREA if size < min(h, w) else cv2.INTER_LINEAR
    return cv2.resize(rgb, (size, size), interpolation=interp)


def to_tensor(rgb_square: np.ndarray) -> torch.Tensor:
    """(S, S, 3) uint8 -> (3, S, S) float32 in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(rgb_square)).permute(2, 0, 1).float() / 255.0


def image_to_tensor(rgb: np.ndarray, size: int) -> torch.Tensor:
    """RGB uint8 (H, W, 3) -> (3, S, S) float32 in [0, 1]."""
    return to_tensor(resize_image(rgb, size))


def points_heatmap(points: np.ndarray, image_hw: tuple[int, int], size: int) -> torch.Tensor:
    """(N, 2) xy points in original pixels -> (S, S) float32 heat map with max 1 (paper 3.2)."""
    return torch.from_numpy(points_to_heatmap(points, image_hw, (size, size)))
