"""A real-photo family: crops of scikit-image's `coins` photograph (24 similar coins, some
close together, on an uneven background), trained on crops of its upper half and tested on
crops of its lower half.

The instance masks come from the photograph itself: Otsu's threshold on the smoothed,
background-flattened image, holes filled, touching coins split by a watershed on the distance
transform. The file is read
from the installed scikit-image package (a dev dependency) without importing it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import numpy as np

from samic_core.testing.multi_instance import MultiInstanceImage, write_images

CROP = 160


def coins_path() -> Path:
    """skimage/data/coins.png of the installed scikit-image; FileNotFoundError if absent."""
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("scikit-image is not installed (make setup installs it)")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "coins.png"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: not in this scikit-image installation")
    return path


def coins_instances(gray: np.ndarray) -> np.ndarray:
    """(H, W) int32 instance labels of the coins in the grey photograph (0 background)."""
    blur = cv2.GaussianBlur(gray, (5, 5), 0)
    local = cv2.GaussianBlur(blur.astype(np.float32), (0, 0), 25)
    flat = np.clip(blur.astype(np.float32) - local + 128, 0, 255).astype(np.uint8)
    _, fg = cv2.threshold(flat, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    fg = cv2.morphologyEx(fg, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8), iterations=2)
    filled = fg.copy()
    contours, _ = cv2.findContours(fg, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(filled, contours, -1, 1, -1)
    dist = cv2.distanceTransform(filled, cv2.DIST_L2, 5)
    _, seeds = cv2.threshold(dist, 0.5 * float(dist.max()), 1, cv2.THRESH_BINARY)
    n, markers = cv2.connectedComponents(seeds.astype(np.uint8))
    markers = markers + 1  # seeds 2..n+1; 0 unknown; 1 background
    markers[(filled == 1) & (seeds == 0)] = 0
    relief = cv2.normalize(-dist, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    labels = cv2.watershed(cv2.cvtColor(relief, cv2.COLOR_GRAY2BGR), markers.astype(np.int32))
    out = np.where(labels > 1, labels - 1, 0).astype(np.int32)
    out[filled == 0] = 0
    for k in range(1, n + 1):
        mask = (out == k).astype(np.uint8)
        if mask.sum() < 150:  # a sliver
            out[mask > 0] = 0
            continue
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        cv2.drawContours(mask, contours, -1, 1, -1)  # a coin's dark relief is still the coin
        out[(mask > 0) & (out == 0)] = k
    return out


def _crop(rgb: np.ndarray, inst: np.ndarray, x: int, y: int) -> MultiInstanceImage:
    img = rgb[y : y + CROP, x : x + CROP].copy()
    labels = inst[y : y + CROP, x : x + CROP]
    masks, points = [], []
    for k in np.unique(labels):
        if k == 0:
            continue
        mask = labels == k
        whole = np.count_nonzero(inst == k)
        if mask.sum() < 0.5 * whole:  # a coin mostly outside the crop is not annotated...
            img[mask] = img[mask] // 3 + 40  # ...nor shown whole: it becomes background
            continue
        dist = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 5)
        cy, cx = np.unravel_index(int(np.argmax(dist)), dist.shape)
        masks.append(mask)
        points.append(np.array([[float(cx), float(cy)]]))
    return MultiInstanceImage(img, masks, points)


def photo_crops(split: int, n: int, seed: int) -> list[MultiInstanceImage]:
    """n seeded crops of the photograph's upper (split 0) or lower (split 1) half."""
    path = coins_path()
    gray = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if gray is None:
        raise FileNotFoundError(f"{path}: not a readable image")
    inst = coins_instances(gray)
    rgb = cv2.cvtColor(gray, cv2.COLOR_GRAY2RGB)
    h, w = gray.shape
    half = h // 2
    y_range = (0, max(0, half + 20 - CROP)) if split == 0 else (min(h - CROP, half - 20), h - CROP)
    rng = np.random.default_rng([seed, split, 31_337])
    out = []
    for _ in range(n):
        x = int(rng.integers(0, w - CROP + 1))
        y = int(rng.integers(y_range[0], y_range[1] + 1))
        im = _crop(rgb, inst, x, y)
        if rng.random() < 0.5:  # flips: more distinct crops of one photograph
            flipped = [np.array([[CROP - 1 - p[0, 0], p[0, 1]]]) for p in im.points]
            im = MultiInstanceImage(im.rgb[:, ::-1].copy(), [m[:, ::-1] for m in im.masks], flipped)
        out.append(im)
    return out


def write_photo(folder: str | Path, n_images: int, seed: int, split: int = 0) -> None:
    """Write n crops (split 0: upper half, for training; 1: lower half, for testing)."""
    write_images(folder, photo_crops(split, n_images, seed), "photo")
