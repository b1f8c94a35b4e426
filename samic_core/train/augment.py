"""Scale and colour variants of the training images (`samic train --jitter`).

Each training image gets a fixed, seeded set of `count` variants: variant 0 is the image itself,
the others zoom in or out (0.75x-1.33x around a random centre) and change brightness, contrast
and saturation (never the hue: the colour of an object may be what defines its class). Because
the set is fixed, the frozen backbone's features of every (image, flip, variant) are computed
once and cached like the flips (`features.FeatureBank`). The target heat map of a variant is
drawn again from the moved points, so its peaks keep the paper's width; zooming out pads with
mid grey rather than mirroring, which would show unlabelled copies of objects.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

VARIANTS = 4  # per image with `--jitter`: the image itself and three variants
SCALE_RANGE = (0.75, 4.0 / 3.0)  # zoom factor, drawn log-uniformly
COLOUR_RANGE = 0.2  # brightness and contrast factors in [1 - r, 1 + r]
SATURATION_RANGE = 0.3


@dataclass(frozen=True)
class Variant:
    """One fixed transform: zoom `scale` (> 1 zooms in) about `centre` (normalised [-1, 1] xy of
    the source image that lands in the middle), then colour factors."""

    scale: float = 1.0
    centre: tuple[float, float] = (0.0, 0.0)
    brightness: float = 1.0
    contrast: float = 1.0
    saturation: float = 1.0

    @property
    def is_identity(self) -> bool:
        return self == Variant()


def make_variants(seed: int, index: int, count: int) -> list[Variant]:
    """The `count` variants of image `index`: variant 0 the identity, the rest seeded draws."""
    out = [Variant()]
    for k in range(1, count):
        rng = np.random.default_rng([seed, 7_919, index, k])
        scale = float(np.exp(rng.uniform(*np.log(SCALE_RANGE))))
        # zoom in: the window stays inside the image; zoom out: the image stays inside the frame
        room = abs(1.0 - 1.0 / scale)
        centre = (float(rng.uniform(-room, room)), float(rng.uniform(-room, room)))
        b, c = (float(v) for v in rng.uniform(1 - COLOUR_RANGE, 1 + COLOUR_RANGE, 2))
        s = float(rng.uniform(1 - SATURATION_RANGE, 1 + SATURATION_RANGE))
        out.append(Variant(scale, centre, b, c, s))
    return out


def warp_image(image: torch.Tensor, v: Variant) -> torch.Tensor:
    """(3, S, S) RGB in [0, 1] -> the variant (3, S, S), zoomed then recoloured."""
    if v.is_identity:
        return image
    theta = torch.tensor(
        [[1.0 / v.scale, 0.0, v.centre[0]], [0.0, 1.0 / v.scale, v.centre[1]]],
        dtype=image.dtype,
    )[None]
    grid = F.affine_grid(theta, [1, *image.shape], align_corners=False)
    x = F.grid_sample((image - 0.5)[None], grid, align_corners=False)[0] + 0.5  # pad: mid grey
    grey = (x * torch.tensor([0.299, 0.587, 0.114], dtype=x.dtype)[:, None, None]).sum(0)
    x = grey + (x - grey) * v.saturation
    x = (x - x.mean()) * v.contrast + x.mean()
    return (x * v.brightness).clamp(0.0, 1.0)


def warp_points(points: np.ndarray, image_hw: tuple[int, int], v: Variant) -> np.ndarray:
    """(N, 2) xy points in original pixels -> where they are in the variant (same pixel frame),
    dropping points that leave the image."""
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    if v.is_identity or not len(pts):
        return pts
    h, w = image_hw
    size = np.array([w, h], np.float64)
    u = (2 * pts + 1) / size - 1  # normalised, align_corners=False
    u = (u - np.asarray(v.centre)) * v.scale
    out = ((u + 1) * size - 1) / 2
    inside = np.all((out >= -0.5) & (out <= size - 0.5), axis=1)
    return out[inside]
