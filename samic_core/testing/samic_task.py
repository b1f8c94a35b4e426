"""A synthetic in-context task for SAMIC: find the warm striped discs among distractors.

Each image has a cluttered background (grey noise, random grey bars), 2-3 target discs of a warm
hue with a stripe texture, and 2-4 distractors of cool hues, half of them discs of the targets'
shape and half squares. Folders are saved in the SAMBOX format with one positive point per
target, near its centre.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from samic_core.annotation import AnnotatedObject, AnnotationStore, ImageAnnotation, Point
from samic_core.annotation.masks import instances_from_masks
from samic_core.fileio import sha256_file

TARGET_LABEL = "disc"


@dataclass
class SyntheticImage:
    """One image with its target instance masks and one prompt point per target."""

    rgb: np.ndarray  # (H, W, 3) uint8
    masks: list[np.ndarray]  # per target (H, W) bool
    points: np.ndarray  # (N, 2) xy

    @property
    def target_mask(self) -> np.ndarray:
        out = np.zeros(self.rgb.shape[:2], bool)
        for m in self.masks:
            out |= m
        return out


def _hsv_colour(rng: np.random.Generator, hue_range: tuple[int, int]) -> tuple[int, int, int]:
    hue = int(rng.integers(*hue_range)) % 180
    sat, val = int(rng.integers(170, 256)), int(rng.integers(170, 256))
    rgb = cv2.cvtColor(np.array([[[hue, sat, val]]], np.uint8), cv2.COLOR_HSV2RGB)[0, 0]
    return int(rgb[0]), int(rgb[1]), int(rgb[2])


def _free_spot(
    rng: np.random.Generator, size: int, r: int, taken: list[tuple[int, int, int]]
) -> tuple[int, int] | None:
    for _ in range(50):
        cx, cy = (int(v) for v in rng.integers(r + 1, size - r - 1, 2))
        if all((cx - x) ** 2 + (cy - y) ** 2 > (r + q + 2) ** 2 for x, y, q in taken):
            return cx, cy
    return None


def make_synthetic_image(size: int = 128, seed: int = 0, targets: bool = True) -> SyntheticImage:
    """An RGB image (size x size) with 2-4 targets (none if not `targets`) and 2-4 distractors
    on clutter."""
    rng = np.random.default_rng(seed)
    img = rng.integers(70, 140, (size, size, 3)).astype(np.uint8)
    for _ in range(6):  # clutter: random grey-ish bars
        p0 = tuple(int(v) for v in rng.integers(0, size, 2))
        p1 = tuple(int(v) for v in rng.integers(0, size, 2))
        shade = (int(rng.integers(60, 180)),) * 3
        cv2.line(img, p0, p1, shade, int(rng.integers(1, 4)))
    taken: list[tuple[int, int, int]] = []
    masks: list[np.ndarray] = []
    points: list[tuple[float, float]] = []
    stripes = (np.arange(size)[None, :] + np.arange(size)[:, None]) % 6 < 3  # diagonal stripes
    rmin, rmax = max(4, size // 10), max(6, size // 7)
    for _ in range(int(rng.integers(2, 4)) if targets else 0):  # targets: warm striped discs
        r = int(rng.integers(rmin, rmax + 1))
        spot = _free_spot(rng, size, r, taken)
        if spot is None:
            continue
        taken.append((*spot, r))
        mask = np.zeros((size, size), np.uint8)
        cv2.circle(mask, spot, r, 1, -1)
        m = mask.astype(bool)
        img[m] = _hsv_colour(rng, (0, 20))
        img[m & stripes] = (img[m & stripes] * 0.6).astype(np.uint8)
        masks.append(m)
        jitter = rng.uniform(-0.25, 0.25, 2) * r
        points.append((spot[0] + float(jitter[0]), spot[1] + float(jitter[1])))
    for k in range(int(rng.integers(2, 5))):  # distractors: cool discs and cool squares
        r = int(rng.integers(rmin, rmax + 1))
        spot = _free_spot(rng, size, r, taken)
        if spot is None:
            continue
        taken.append((*spot, r))
        if k % 2 == 0:
            cv2.circle(img, spot, r, _hsv_colour(rng, (50, 130)), -1)
        else:
            x, y = spot
            cv2.rectangle(img, (x - r, y - r), (x + r, y + r), _hsv_colour(rng, (50, 130)), -1)
    return SyntheticImage(img, masks, np.asarray(points, np.float64).reshape(-1, 2))


def write_synthetic_folder(
    folder: str | Path, n_images: int, size: int = 128, seed: int = 0, annotate: bool = True
) -> list[SyntheticImage]:
    """Save n images as PNGs (and, if `annotate`, manual SAMBOX annotations of the targets)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    store = AnnotationStore(folder)
    out = []
    for i in range(n_images):
        im = make_synthetic_image(size, seed * 100_003 + i)
        path = folder / f"img_{i:03d}.png"
        cv2.imwrite(str(path), cv2.cvtColor(im.rgb, cv2.COLOR_RGB2BGR))
        out.append(im)
        if not annotate:
            continue
        objects = [
            AnnotatedObject(
                id=k + 1, label=TARGET_LABEL, points=[Point(x=float(x), y=float(y))], score=1.0
            )
            for k, (x, y) in enumerate(im.points)
        ]
        ann = ImageAnnotation(
            image=path.name, image_sha256=sha256_file(path), width=size, height=size,
            objects=objects, done=True,
        )  # fmt: skip
        instances = instances_from_masks(
            [(k + 1, m) for k, m in enumerate(im.masks)], im.rgb.shape[:2]
        )
        store.save(ann, instances)
    return out


def points_inside_rate(points: np.ndarray, target_mask: np.ndarray) -> tuple[int, int]:
    """(points inside the target mask, points) for (N, 2) xy points."""
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    h, w = target_mask.shape
    inside = 0
    for x, y in pts:
        xi, yi = int(round(x)), int(round(y))
        if 0 <= xi < w and 0 <= yi < h and target_mask[yi, xi]:
            inside += 1
    return inside, len(pts)
