"""A generated multi-instance benchmark for SAMIC's prompts: many, touching, unequal objects.

Each image holds 5-15 instances (configurable) of a target kind (warm, striped ellipses) among
distractors (cool discs and squares) on clutter. Instances vary in size (a 3x range of radii),
in contrast (from vivid to close to the background), and some are placed touching another one.
A share of the images holds no target at all. Folders are written in the SAMBOX format with one
click near each instance's centre (two on large ones, as an annotator adds points until SAM's
score saturates); images without a target are saved as done with no objects, which is how an
annotator marks them. Scoring uses the saved instance masks, so touching instances count apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from samic_core.annotation import AnnotatedObject, AnnotationStore, ImageAnnotation, Point
from samic_core.annotation.masks import instances_from_masks
from samic_core.fileio import sha256_file

LABEL = "target"


@dataclass(frozen=True)
class MultiInstanceSpec:
    """What the generated images vary; the defaults are the benchmark's."""

    size: int = 160
    instances: tuple[int, int] = (5, 15)  # inclusive range of targets per non-empty image
    radius: tuple[float, float] = (0.035, 0.09)  # instance radius range, fraction of `size`
    touching: float = 0.35  # chance that an instance is placed against an earlier one
    low_contrast: float = 0.3  # chance that an instance has a colour close to the background
    empty: float = 0.2  # share of images without any target
    distractors: tuple[int, int] = (2, 6)


@dataclass
class MultiInstanceImage:
    rgb: np.ndarray  # (H, W, 3) uint8
    masks: list[np.ndarray]  # per instance (H, W) bool, disjoint
    points: list[np.ndarray]  # per instance (n, 2) xy clicks


def _colour(rng: np.random.Generator, hues: tuple[int, int], low: bool) -> np.ndarray:
    hue = int(rng.integers(*hues)) % 180
    sat = int(rng.integers(60, 110)) if low else int(rng.integers(170, 256))
    val = int(rng.integers(120, 160)) if low else int(rng.integers(170, 256))
    hsv = np.array([[[hue, sat, val]]], np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0].astype(np.uint8)


def _place(
    rng: np.random.Generator,
    size: int,
    r: int,
    taken: list[tuple[float, float, int]],
    touch: bool,
) -> tuple[float, float] | None:
    """A centre for a disc of radius r: against a random earlier disc if `touch`, else free."""
    for _ in range(60):
        if touch and taken:
            x0, y0, r0 = taken[int(rng.integers(len(taken)))]
            a = rng.uniform(0, 2 * np.pi)
            d = r + r0 + 0.5
            cx, cy = x0 + d * np.cos(a), y0 + d * np.sin(a)
            gap = -1.0  # touching the chosen one; others must not overlap
        else:
            cx, cy = (float(v) for v in rng.uniform(r + 1, size - r - 1, 2))
            gap = 2.0
        if not (r + 1 <= cx <= size - r - 2 and r + 1 <= cy <= size - r - 2):
            continue
        if all(np.hypot(cx - x, cy - y) >= r + q + gap for x, y, q in taken):
            return cx, cy
    return None


def make_image(
    spec: MultiInstanceSpec, rng: np.random.Generator, empty: bool
) -> MultiInstanceImage:
    """One image with its instance masks and clicks (none when `empty`)."""
    s = spec.size
    img = rng.integers(80, 140, (s, s, 3)).astype(np.uint8)
    for _ in range(8):  # clutter: grey bars
        p0 = tuple(int(v) for v in rng.integers(0, s, 2))
        p1 = tuple(int(v) for v in rng.integers(0, s, 2))
        cv2.line(img, p0, p1, (int(rng.integers(60, 180)),) * 3, int(rng.integers(1, 4)))
    stripes = (np.arange(s)[None, :] + np.arange(s)[:, None]) % 6 < 3
    taken: list[tuple[float, float, int]] = []
    occupied = np.zeros((s, s), bool)
    masks: list[np.ndarray] = []
    points: list[np.ndarray] = []
    n = 0 if empty else int(rng.integers(spec.instances[0], spec.instances[1] + 1))
    for _ in range(n):
        r = int(round(rng.uniform(*spec.radius) * s))
        spot = _place(rng, s, r, taken, bool(rng.random() < spec.touching))
        if spot is None:
            continue
        taken.append((*spot, r))
        m = np.zeros((s, s), np.uint8)
        axes = (r, max(3, int(round(r * rng.uniform(0.75, 1.0)))))
        centre = (int(round(spot[0])), int(round(spot[1])))
        cv2.ellipse(m, centre, axes, float(rng.uniform(0, 180)), 0, 360, 1, -1)
        mask = m.astype(bool) & ~occupied
        if mask.sum() < 9:
            continue
        occupied |= mask
        img[mask] = _colour(rng, (0, 22), bool(rng.random() < spec.low_contrast))
        img[mask & stripes] = (img[mask & stripes] * 0.65).astype(np.uint8)
        clicks = [(spot[0] + rng.uniform(-0.2, 0.2) * r, spot[1] + rng.uniform(-0.2, 0.2) * r)]
        if r >= 0.07 * s and rng.random() < 0.5:  # a second click on a large object
            a = rng.uniform(0, 2 * np.pi)
            clicks.append((spot[0] + 0.5 * r * np.cos(a), spot[1] + 0.5 * r * np.sin(a)))
        masks.append(mask)
        points.append(np.asarray(clicks, np.float64))
    for k in range(int(rng.integers(spec.distractors[0], spec.distractors[1] + 1))):
        r = int(round(rng.uniform(*spec.radius) * s))
        spot = _place(rng, s, r, taken, False)
        if spot is None:
            continue
        taken.append((*spot, r))
        x, y = int(round(spot[0])), int(round(spot[1]))
        colour = tuple(int(c) for c in _colour(rng, (50, 130), False))
        if k % 2 == 0:
            cv2.circle(img, (x, y), r, colour, -1)
        else:
            cv2.rectangle(img, (x - r, y - r), (x + r, y + r), colour, -1)
    return MultiInstanceImage(img, masks, points)


def write_images(folder: str | Path, images: list[MultiInstanceImage], prefix: str) -> None:
    """Save images as `<prefix>_<i>.png` with their SAMBOX annotations, each marked done."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    store = AnnotationStore(folder)
    store.ensure_classes([LABEL])
    for i, im in enumerate(images):
        path = folder / f"{prefix}_{i:03d}.png"
        cv2.imwrite(str(path), cv2.cvtColor(im.rgb, cv2.COLOR_RGB2BGR))
        h, w = im.rgb.shape[:2]
        objects = [
            AnnotatedObject(
                id=k + 1,
                label=LABEL,
                points=[Point(x=float(x), y=float(y)) for x, y in pts],
                score=1.0,
            )
            for k, pts in enumerate(im.points)
        ]
        ann = ImageAnnotation(
            image=path.name, image_sha256=sha256_file(path), width=w, height=h,
            objects=objects, done=True,
        )  # fmt: skip
        instances = instances_from_masks([(k + 1, m) for k, m in enumerate(im.masks)], (h, w))
        store.save(ann, instances)


def write_folder(
    folder: str | Path,
    n_images: int,
    spec: MultiInstanceSpec = MultiInstanceSpec(),
    seed: int = 0,
) -> list[MultiInstanceImage]:
    """Write n images as PNGs with their SAMBOX annotations; empty images are saved as done."""
    rng = np.random.default_rng([seed, 7_919])
    n_empty = int(round(spec.empty * n_images))
    empty = np.zeros(n_images, bool)
    empty[rng.permutation(n_images)[:n_empty]] = True
    out = [make_image(spec, rng, bool(empty[i])) for i in range(n_images)]
    write_images(folder, out, "mi")
    return out
