"""Generated task families for SAMIC's prompts: the object among look-alikes.

Every family draws, per seed, a target look (shape, colour, texture, size) and look-alikes that
differ from it in one attribute only (`shape`, `colour`, `texture`, `size`), or in any one
(`touching`: many touching and overlapping targets; `clutter`: many look-alikes and heavy
background clutter). Every image holds look-alikes; a share holds no target at all (saved as
done with no object, as an annotator marks them), and test folders add look-alike-only images.
So nothing is tuned to one colour or shape: the seed decides which attribute values the task
uses. `discs` (samic_core.testing.multi_instance) and `photo` (samic_core.testing.photo_task)
join them in FAMILIES.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from samic_core.testing.multi_instance import MultiInstanceImage, write_images

SHAPES = ("disc", "square", "triangle", "cross", "diamond")
TEXTURES = ("plain", "stripes", "dots", "checker")
LOOKALIKE_FAMILIES = ("shape", "colour", "texture", "size", "touching", "clutter")


@dataclass(frozen=True)
class Look:
    """How one object is drawn. radius: fraction of the image side."""

    shape: str
    hue: int  # OpenCV hue, 0-179
    texture: str
    radius: tuple[float, float]


@dataclass(frozen=True)
class FamilySpec:
    """One family's images: the target's look and its look-alikes' looks, and how many."""

    name: str
    target: Look
    lookalikes: tuple[Look, ...]
    size: int = 160
    instances: tuple[int, int] = (1, 6)
    n_lookalikes: tuple[int, int] = (2, 6)
    touching: float = 0.15
    overlap: float = 0.0  # chance that a target is drawn partly over an earlier one
    clutter: int = 6


def _far_hue(rng: np.random.Generator, hue: int, min_gap: int = 40) -> int:
    while True:
        h = int(rng.integers(0, 180))
        if min(abs(h - hue), 180 - abs(h - hue)) >= min_gap:
            return h


def _other(rng: np.random.Generator, options: tuple[str, ...], value: str) -> str:
    return str(rng.choice([o for o in options if o != value]))


def family_spec(name: str, seed: int) -> FamilySpec:
    """The spec of family `name` for `seed`: the seed draws the attribute values."""
    rng = np.random.default_rng([seed, 104_729, sum(map(ord, name))])
    base = Look(
        shape=str(rng.choice(SHAPES)),
        hue=int(rng.integers(0, 180)),
        texture=str(rng.choice(TEXTURES)),
        radius=(0.05, 0.075),
    )
    if name == "shape":
        looks = tuple(replace(base, shape=_other(rng, SHAPES, base.shape)) for _ in range(2))
        return FamilySpec(name, base, looks)
    if name == "colour":
        looks = tuple(replace(base, hue=_far_hue(rng, base.hue)) for _ in range(2))
        return FamilySpec(name, base, looks)
    if name == "texture":
        looks = tuple(replace(base, texture=_other(rng, TEXTURES, base.texture)) for _ in range(2))
        return FamilySpec(name, base, looks)
    if name == "size":
        bigger = bool(rng.random() < 0.5)
        radius = (0.105, 0.13) if bigger else (0.028, 0.036)
        return FamilySpec(name, base, (replace(base, radius=radius),))
    if name == "touching":
        target = replace(base, radius=(0.045, 0.07))
        looks = (
            replace(target, hue=_far_hue(rng, target.hue)),
            replace(target, shape=_other(rng, SHAPES, target.shape)),
        )
        return FamilySpec(name, target, looks, instances=(4, 10), touching=0.6, overlap=0.3)
    if name == "clutter":
        looks = (
            replace(base, shape=_other(rng, SHAPES, base.shape)),
            replace(base, hue=_far_hue(rng, base.hue)),
            replace(base, texture=_other(rng, TEXTURES, base.texture)),
        )
        return FamilySpec(name, base, looks, instances=(2, 8), n_lookalikes=(6, 12), clutter=24)
    raise ValueError(f"unknown task family {name!r}; use one of {LOOKALIKE_FAMILIES}")


def _colour(rng: np.random.Generator, hue: int) -> np.ndarray:
    """The look's colour, with the small variation of real objects of one kind."""
    h = (hue + int(rng.integers(-4, 5))) % 180
    hsv = np.array([[[h, int(rng.integers(150, 230)), int(rng.integers(160, 235))]]], np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0].astype(np.int16)


def _shape_mask(shape: str, size: int, cx: float, cy: float, r: float, angle: float) -> np.ndarray:
    m: np.ndarray = np.zeros((size, size), np.uint8)
    c = (int(round(cx)), int(round(cy)))
    ri = max(2, int(round(r)))
    if shape == "disc":
        cv2.circle(m, c, ri, 1, -1)
        return m.astype(bool)
    if shape == "cross":
        arm = max(1, int(round(r * 0.38)))
        cv2.rectangle(m, (c[0] - ri, c[1] - arm), (c[0] + ri, c[1] + arm), 1, -1)
        cv2.rectangle(m, (c[0] - arm, c[1] - ri), (c[0] + arm, c[1] + ri), 1, -1)
    else:
        corners = {"square": 4, "triangle": 3, "diamond": 4}[shape]
        start = np.pi / 4 if shape == "square" else -np.pi / 2
        stretch = (1.0, 1.45) if shape == "diamond" else (1.0, 1.0)
        a = start + np.arange(corners) * 2 * np.pi / corners
        pts = np.stack([stretch[0] * r * np.cos(a), stretch[1] * r * np.sin(a)], 1)
        pts = np.stack([cx + pts[:, 0] * 1.0, cy + pts[:, 1]], 1)
        cv2.fillPoly(m, [np.round(pts).astype(np.int32)], 1)
    if angle:
        rot = cv2.getRotationMatrix2D((float(cx), float(cy)), angle, 1.0)
        m = cv2.warpAffine(m, rot, (size, size), flags=cv2.INTER_NEAREST)
    return m.astype(bool)


def _texture(texture: str, size: int, rng: np.random.Generator) -> np.ndarray:
    """Where the texture darkens the object's colour, as an (H, W) bool pattern."""
    yy, xx = np.mgrid[0:size, 0:size]
    period = int(rng.integers(5, 8))
    phase = int(rng.integers(0, period))
    if texture == "stripes":
        return (xx + yy + phase) % period < period // 2
    if texture == "dots":
        return ((xx + phase) % period < 2) & ((yy + phase) % period < 2)
    if texture == "checker":
        return ((xx + phase) // 4 + (yy + phase) // 4) % 2 == 0
    return np.zeros((size, size), bool)


def _place(
    rng: np.random.Generator,
    size: int,
    r: float,
    taken: list[tuple[float, float, float]],
    touch: bool,
    overlap: bool,
) -> tuple[float, float] | None:
    for _ in range(80):
        if (touch or overlap) and taken:
            x0, y0, r0 = taken[int(rng.integers(len(taken)))]
            a = rng.uniform(0, 2 * np.pi)
            d = (r + r0) * (rng.uniform(0.55, 0.8) if overlap else 1.02)
            cx, cy = x0 + d * np.cos(a), y0 + d * np.sin(a)
            gap = -r0 if overlap else -1.0
        else:
            cx, cy = (float(v) for v in rng.uniform(r + 2, size - r - 2, 2))
            gap = 3.0
        if not (r + 2 <= cx <= size - r - 2 and r + 2 <= cy <= size - r - 2):
            continue
        if all(np.hypot(cx - x, cy - y) >= r + q + gap for x, y, q in taken):
            return cx, cy
    return None


def _background(spec: FamilySpec, rng: np.random.Generator) -> np.ndarray:
    s = spec.size
    low = cv2.resize(rng.integers(70, 150, (5, 5, 3)).astype(np.uint8), (s, s))
    img = np.clip(low.astype(np.int16) + rng.integers(-12, 13, (s, s, 3)), 0, 255)
    img = img.astype(np.uint8)
    for _ in range(spec.clutter):
        p0 = tuple(int(v) for v in rng.integers(0, s, 2))
        p1 = tuple(int(v) for v in rng.integers(0, s, 2))
        cv2.line(img, p0, p1, (int(rng.integers(50, 190)),) * 3, int(rng.integers(1, 4)))
    return img


def make_family_image(
    spec: FamilySpec, rng: np.random.Generator, targets: bool
) -> MultiInstanceImage:
    """One image: look-alikes always, and targets unless `targets` is False."""
    return family_scene(spec, rng, targets)[0]


def family_scene(
    spec: FamilySpec, rng: np.random.Generator, targets: bool
) -> tuple[MultiInstanceImage, list[np.ndarray]]:
    """make_family_image's image and the visible (H, W) bool mask of each look-alike (for
    diagnostics such as scripts/probe_cues.py; the same draws from `rng`)."""
    s = spec.size
    img = _background(spec, rng).astype(np.int16)
    taken: list[tuple[float, float, float]] = []
    occupied = np.zeros((s, s), bool)
    ids = np.zeros((s, s), np.int32)  # 1-based index into `drawn`, 0 background
    drawn: list[tuple[bool, np.ndarray]] = []  # (is target, clicks)
    n_target = int(rng.integers(spec.instances[0], spec.instances[1] + 1)) if targets else 0
    n_alike = int(rng.integers(spec.n_lookalikes[0], spec.n_lookalikes[1] + 1))
    order = [True] * n_target + [False] * n_alike
    rng.shuffle(order)
    for is_target in order:
        look = (
            spec.target if is_target else spec.lookalikes[int(rng.integers(len(spec.lookalikes)))]
        )
        r = rng.uniform(*look.radius) * s
        overlap = is_target and bool(rng.random() < spec.overlap)
        touch = bool(rng.random() < spec.touching)
        spot = _place(rng, s, r, taken, touch, overlap)
        if spot is None:
            continue
        angle = float(rng.uniform(-25, 25)) if look.shape != "disc" else 0.0
        mask = _shape_mask(look.shape, s, spot[0], spot[1], r, angle)
        if mask.sum() < 12:
            continue
        visible_before = [np.count_nonzero(ids == k + 1) for k in range(len(drawn))]
        taken.append((*spot, r))
        colour = _colour(rng, look.hue)
        pattern = _texture(look.texture, s, rng)
        img[mask] = colour
        img[mask & pattern] = (colour * 0.55).astype(np.int16)
        occupied |= mask
        ids[mask] = len(drawn) + 1
        clicks = np.array([[spot[0] + rng.uniform(-0.15, 0.15) * r,
                            spot[1] + rng.uniform(-0.15, 0.15) * r]])  # fmt: skip
        drawn.append((is_target, clicks))
        # an object mostly hidden by this one is no longer an instance to find
        for k, before in enumerate(visible_before):
            if before and np.count_nonzero(ids == k + 1) < 0.4 * before:
                ids[ids == k + 1] = 0
    img = np.clip(img + rng.integers(-6, 7, img.shape), 0, 255).astype(np.uint8)
    masks, points, alikes = [], [], []
    for k, (is_target, clicks) in enumerate(drawn):
        mask = ids == k + 1
        if mask.sum() < 12:
            continue
        if not is_target:
            alikes.append(mask)
            continue
        ys, xs = np.nonzero(mask)
        cx, cy = int(round(clicks[0, 0])), int(round(clicks[0, 1]))
        if not (0 <= cx < s and 0 <= cy < s and mask[cy, cx]):  # occluded click: the deepest point
            dist = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 5)
            deep_y, deep_x = np.unravel_index(int(np.argmax(dist)), dist.shape)
            clicks = np.array([[float(deep_x), float(deep_y)]])
        masks.append(mask)
        points.append(clicks)
    return MultiInstanceImage(img, masks, points), alikes


def write_family(
    name: str,
    folder: str | Path,
    n_images: int,
    seed: int,
    empty: float = 0.125,
    split: int = 0,
) -> list[MultiInstanceImage]:
    """Write `n_images` of family `name` (seed's looks) into `folder`; a share `empty` of them
    holds look-alikes only. `split` draws other images of the same looks (train 0, test 1)."""
    images = [image for image, _ in draw_family(name, n_images, seed, empty, split)]
    write_images(folder, images, name)
    return images


def draw_family(
    name: str, n_images: int, seed: int, empty: float = 0.125, split: int = 0
) -> list[tuple[MultiInstanceImage, list[np.ndarray]]]:
    """The scenes `write_family` writes (same arguments): each image with its look-alikes'
    masks."""
    spec = family_spec(name, seed)
    rng = np.random.default_rng([seed, split, 7_919, sum(map(ord, name))])
    n_empty = int(round(empty * n_images))
    flags = np.ones(n_images, bool)
    flags[rng.permutation(n_images)[:n_empty]] = False
    return [family_scene(spec, rng, bool(f)) for f in flags]
