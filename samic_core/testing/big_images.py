"""Generated big images with small objects among look-alikes: the tiles benchmark's data.

An aerial-photo stand-in: a wide (default 4000 x 3000) image with a low-frequency colour
background, clutter lines, and a few hundred objects 30-60 px across. The targets share one
look drawn per seed (shape, colour, texture, as in samic_core.testing.families); as many
look-alikes of the same shape and size differ in colour, and a third kind in shape. Objects are
drawn patch by patch, so a 48 MP image costs its own pixels and an instance map, not a mask per
object. `write_big_folder` saves them as a SAMBOX folder (targets clicked, every image done).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from samic_core.annotation import AnnotationStore
from samic_core.annotation.models import AnnotatedObject, ImageAnnotation, Point
from samic_core.fileio import sha256_file
from samic_core.testing.families import (
    SHAPES,
    Look,
    _colour,
    _far_hue,
    _other,
    _shape_mask,
    _texture,
)

LABEL = "target"


@dataclass(frozen=True)
class BigSpec:
    """The images of one benchmark seed: size, object sizes (px) and counts."""

    height: int = 3000
    width: int = 4000
    diameter: tuple[int, int] = (30, 60)
    targets: int = 120
    lookalikes: int = 150
    clutter: int = 400  # lines over the background


@dataclass
class BigImage:
    rgb: np.ndarray  # (H, W, 3) uint8
    instances: np.ndarray  # (H, W) uint16: target k is id k + 1; look-alikes are not annotated
    clicks: np.ndarray  # (n, 2) xy: one click per target


def looks(seed: int) -> tuple[Look, tuple[Look, ...]]:
    """The target's look and the look-alikes' for `seed` (radius unused: BigSpec sizes them)."""
    rng = np.random.default_rng([seed, 15_485_863])
    base = Look(str(rng.choice(SHAPES)), int(rng.integers(0, 180)), "plain", (0.0, 0.0))
    base = replace(base, texture=str(rng.choice(("plain", "stripes", "checker"))))
    alikes = (
        replace(base, hue=_far_hue(rng, base.hue)),
        replace(base, hue=_far_hue(rng, base.hue)),
        replace(base, shape=_other(rng, SHAPES, base.shape), hue=_far_hue(rng, base.hue)),
    )
    return base, alikes


def _background(spec: BigSpec, rng: np.random.Generator) -> np.ndarray:
    h, w = spec.height, spec.width
    low = rng.integers(60, 160, (max(2, h // 400), max(2, w // 400), 3)).astype(np.uint8)
    img = cv2.resize(low, (w, h), interpolation=cv2.INTER_CUBIC)
    noise = rng.integers(-10, 11, (h, w, 1), dtype=np.int16)  # one channel: less memory
    img = np.clip(img.astype(np.int16) + noise, 0, 255).astype(np.uint8)
    for _ in range(spec.clutter):
        p0 = rng.integers(0, (w, h), 2)
        p1 = p0 + rng.integers(-300, 301, 2)
        grey = int(rng.integers(40, 200))
        cv2.line(
            img, tuple(map(int, p0)), tuple(map(int, p1)), (grey,) * 3, int(rng.integers(1, 4))
        )
    return img


def make_big_image(spec: BigSpec, seed: int, index: int, targets: bool = True) -> BigImage:
    """One image of `seed`'s looks (`index` draws its layout); without targets if told."""
    rng = np.random.default_rng([seed, index, 32_452_843])
    target, alikes = looks(seed)
    img = _background(spec, rng)
    h, w = spec.height, spec.width
    instances = np.zeros((h, w), np.uint16)
    kinds = [True] * (spec.targets if targets else 0) + [False] * spec.lookalikes
    rng.shuffle(kinds)
    cell = spec.diameter[1] * 2  # a coarse grid of the centres placed: objects never overlap
    taken: dict[tuple[int, int], list[tuple[float, float, float]]] = {}
    clicks = []
    for is_target in kinds:
        look = target if is_target else alikes[int(rng.integers(len(alikes)))]
        r = rng.uniform(*spec.diameter) / 2
        for _ in range(30):
            cx, cy = rng.uniform(r + 2, w - r - 2), rng.uniform(r + 2, h - r - 2)
            gx, gy = int(cx // cell), int(cy // cell)
            near = [
                q
                for dx in (-1, 0, 1)
                for dy in (-1, 0, 1)
                for q in taken.get((gx + dx, gy + dy), [])
            ]
            if all(np.hypot(cx - x, cy - y) >= r + q + 4 for x, y, q in near):
                break
        else:
            continue
        taken.setdefault((gx, gy), []).append((cx, cy, r))
        side = int(np.ceil(2 * r)) + 4  # the object's patch
        x0, y0 = int(cx) - side // 2, int(cy) - side // 2
        angle = float(rng.uniform(-25, 25)) if look.shape != "disc" else 0.0
        mask = _shape_mask(look.shape, side, cx - x0, cy - y0, r, angle)
        colour = _colour(rng, look.hue)
        pattern = _texture(look.texture, side, rng)
        # the patch clipped to the image (an object at the border: its patch's margin only)
        top, left = max(0, -y0), max(0, -x0)
        mask, pattern = mask[top:, left:], pattern[top:, left:]
        y0, x0 = y0 + top, x0 + left
        rows, cols = slice(y0, y0 + mask.shape[0]), slice(x0, x0 + mask.shape[1])
        patch = img[rows, cols].astype(np.int16)
        mask = mask[: patch.shape[0], : patch.shape[1]]
        pattern = pattern[: patch.shape[0], : patch.shape[1]]
        patch[mask] = colour
        patch[mask & pattern] = (colour * 0.55).astype(np.int16)
        img[rows, cols] = np.clip(patch, 0, 255).astype(np.uint8)
        if is_target:
            clicks.append((cx + rng.uniform(-0.15, 0.15) * r, cy + rng.uniform(-0.15, 0.15) * r))
            instances[rows, cols][mask] = len(clicks)
    return BigImage(img, instances, np.asarray(clicks, np.float64).reshape(-1, 2))


def write_big_folder(
    folder: str | Path, spec: BigSpec, seed: int, indices: range, annotate: bool = True
) -> list[BigImage]:
    """Write images `indices` of `seed` as PNGs into `folder`; with `annotate`, their SAMBOX
    annotations too (each target clicked, every image done), as an annotator leaves them."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    store = AnnotationStore(folder)
    if annotate:
        store.ensure_classes([LABEL])
    out = []
    for i in indices:
        im = make_big_image(spec, seed, i)
        path = folder / f"big_{i:03d}.png"
        cv2.imwrite(str(path), cv2.cvtColor(im.rgb, cv2.COLOR_RGB2BGR))
        if annotate:
            objects = [
                AnnotatedObject(
                    id=k + 1, label=LABEL, points=[Point(x=float(x), y=float(y))], score=1.0
                )
                for k, (x, y) in enumerate(im.clicks)
            ]
            ann = ImageAnnotation(
                image=path.name, image_sha256=sha256_file(path), width=spec.width,
                height=spec.height, objects=objects, done=True,
            )  # fmt: skip
            store.save(ann, im.instances)
        out.append(im)
    return out
