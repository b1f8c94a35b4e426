"""A synthetic few-shot dataset in FSS-1000 layout, for tests, benchmarks and smoke runs.

Each class is a (shape, colour, texture) combination. An image shows 1-3 instances of its class
(random size, rotation, brightness) over a cluttered background, among distractors drawn from
the other classes; the mask covers the class's instances only. Layout:
OUT/<class>/<n>.jpg + OUT/<class>/<n>.png (0/255), n = 1..M, plus OUT/splits/{trn,val,test}.txt
(52/24/24 % of the classes, as FSS-1000's 520/240/240).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from samic_core.errors import SamicError
from samic_core.fileio import atomic_write_bytes, atomic_write_text
from samic_core.jobs import Progress

SHAPES = (
    "circle",
    "square",
    "triangle",
    "star",
    "cross",
    "hexagon",
    "ring",
    "ellipse",
    "diamond",
    "crescent",
    "tee",
    "arrow",
)
COLOURS = {
    "red": (215, 40, 40),
    "green": (40, 170, 60),
    "blue": (40, 80, 215),
    "yellow": (230, 205, 40),
    "magenta": (205, 50, 195),
    "cyan": (40, 195, 205),
    "orange": (240, 135, 30),
    "purple": (115, 50, 170),
    "white": (235, 235, 235),
    "brown": (125, 75, 35),
}
TEXTURES = ("solid", "stripes", "dots", "checker")
SPLIT_FRACTIONS = (0.52, 0.24, 0.24)


@dataclass(frozen=True)
class SynthClass:
    """What all instances of a class share."""

    name: str
    shape: str
    colour: tuple[int, int, int]
    texture: str


def make_classes(n: int, rng: np.random.Generator) -> list[SynthClass]:
    """n distinct (shape, colour, texture) classes."""
    combos = [(s, c, t) for s in SHAPES for c in COLOURS for t in TEXTURES]
    if not 1 <= n <= len(combos):
        raise SamicError(f"--classes must be between 1 and {len(combos)}, got {n}")
    # Spread the first classes over distinct shapes and colours before repeating either.
    order = rng.permutation(len(combos))
    picked: list[tuple[str, str, str]] = []
    for relax in (False, True):
        for i in order:
            s, c, t = combos[i]
            if len(picked) == n:
                break
            if (s, c, t) in picked:
                continue
            if not relax and any(s == p[0] or c == p[1] for p in picked):
                continue
            picked.append((s, c, t))
    return [SynthClass(f"{c}_{t}_{s}", s, COLOURS[c], t) for s, c, t in picked]


# ---- drawing -------------------------------------------------------------------------------
def _polygon(shape: str, r: float) -> np.ndarray:
    """(K, 2) vertices of a polygonal shape of radius r around the origin."""

    def ring(k: int, radius: float, phase: float = 0.0) -> np.ndarray:
        a = phase + np.arange(k) * 2 * np.pi / k
        return np.stack([radius * np.cos(a), radius * np.sin(a)], 1)

    if shape == "square":
        return ring(4, r, np.pi / 4)
    if shape == "triangle":
        return ring(3, r, -np.pi / 2)
    if shape == "hexagon":
        return ring(6, r)
    if shape == "diamond":
        return ring(4, r) * [0.65, 1.0]
    if shape == "star":
        outer, inner = ring(5, r, -np.pi / 2), ring(5, 0.45 * r, -np.pi / 2 + np.pi / 5)
        return np.stack([outer, inner], 1).reshape(-1, 2)
    if shape == "cross":
        a, b = 0.33 * r, r
        return np.array(
            [
                [-a, -b],
                [a, -b],
                [a, -a],
                [b, -a],
                [b, a],
                [a, a],
                [a, b],
                [-a, b],
                [-a, a],
                [-b, a],
                [-b, -a],
                [-a, -a],
            ]
        )
    if shape == "tee":
        a, b = 0.3 * r, r
        return np.array(
            [
                [-b, -b],
                [b, -b],
                [b, -b + 2 * a],
                [a, -b + 2 * a],
                [a, b],
                [-a, b],
                [-a, -b + 2 * a],
                [-b, -b + 2 * a],
            ]
        )
    if shape == "arrow":
        a, b = 0.28 * r, r
        return np.array(
            [
                [-b, -a],
                [0.1 * b, -a],
                [0.1 * b, -0.8 * b],
                [b, 0],
                [0.1 * b, 0.8 * b],
                [0.1 * b, a],
                [-b, a],
            ]
        )
    raise ValueError(shape)


def shape_mask(
    shape: str, size: tuple[int, int], cx: float, cy: float, r: float, angle: float
) -> np.ndarray:
    """(H, W) bool mask of one instance centred at (cx, cy), radius r, rotated by angle (rad)."""
    h, w = size
    m = np.zeros((h, w), np.uint8)
    centre = (round(cx), round(cy))
    deg = math.degrees(angle)
    if shape == "circle":
        cv2.circle(m, centre, round(r), 1, -1)
    elif shape == "ellipse":
        cv2.ellipse(m, centre, (round(r), round(0.55 * r)), deg, 0, 360, 1, -1)
    elif shape == "ring":
        cv2.circle(m, centre, round(r), 1, -1)
        cv2.circle(m, centre, round(0.5 * r), 0, -1)
    elif shape == "crescent":
        cv2.circle(m, centre, round(r), 1, -1)
        off = (round(cx + 0.45 * r * math.cos(angle)), round(cy + 0.45 * r * math.sin(angle)))
        cv2.circle(m, off, round(0.8 * r), 0, -1)
    else:
        c, s = math.cos(angle), math.sin(angle)
        pts = _polygon(shape, r) @ np.array([[c, s], [-s, c]]) + [cx, cy]
        cv2.fillPoly(m, [np.round(pts).astype(np.int32)], 1)
    return m.astype(bool)


def _texture(texture: str, size: tuple[int, int], period: float, angle: float) -> np.ndarray:
    """(H, W) bool: where the texture's accent colour shows."""
    h, w = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    u = xx * math.cos(angle) + yy * math.sin(angle)
    v = -xx * math.sin(angle) + yy * math.cos(angle)
    if texture == "stripes":
        return (u // period) % 2 == 0
    if texture == "checker":
        return ((u // period) + (v // period)) % 2 == 0
    if texture == "dots":
        du, dv = (u % period) - period / 2, (v % period) - period / 2
        return du * du + dv * dv < (0.3 * period) ** 2
    return np.zeros((h, w), bool)


def _paint(
    image: np.ndarray, cls: SynthClass, mask: np.ndarray, rng: np.random.Generator, period: float
) -> None:
    """Paint one instance of `cls` into `image` (H, W, 3) uint8 where `mask` is set."""
    gain = rng.uniform(0.8, 1.15)
    base = np.clip(np.array(cls.colour, np.float32) * gain, 0, 255)
    accent = base * 0.45
    pattern = _texture(cls.texture, mask.shape, period, rng.uniform(0, np.pi))
    colour = np.where(pattern[..., None], accent, base)  # (H, W, 3)
    noise = rng.normal(0, 6, mask.shape + (3,))
    image[mask] = np.clip(colour + noise, 0, 255)[mask].astype(np.uint8)


def _background(size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Low-frequency muted colour field, noise, and random lines and boxes."""
    h, w = size
    coarse = rng.uniform(50, 190, (4, 4, 3)).astype(np.float32)
    grey = coarse.mean(2, keepdims=True)
    coarse = 0.4 * coarse + 0.6 * grey  # muted
    bg = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)
    bg += rng.normal(0, 10, (h, w, 3))
    image = np.clip(bg, 0, 255).astype(np.uint8)
    for _ in range(int(rng.integers(3, 7))):
        c = tuple(int(v) for v in rng.integers(60, 170, 3))
        p0 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        if rng.random() < 0.5:
            p1 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
            cv2.line(image, p0, p1, c, int(rng.integers(1, max(2, w // 40) + 1)))
        else:
            p1 = (p0[0] + int(rng.integers(5, w // 4)), p0[1] + int(rng.integers(5, h // 4)))
            cv2.rectangle(image, p0, p1, c, -1)
    return image


def make_image(
    cls: SynthClass, others: list[SynthClass], size: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """One (H, W, 3) uint8 RGB image of `cls` and its (H, W) bool mask."""
    hw = (size, size)
    image = _background(hw, rng)
    period = max(3.0, size / 28)
    for _ in range(int(rng.integers(1, 4)) if others else 0):
        d = others[int(rng.integers(len(others)))]
        r = rng.uniform(0.07, 0.16) * size
        cx, cy = rng.uniform(r, size - r, 2)
        _paint(image, d, shape_mask(d.shape, hw, cx, cy, r, rng.uniform(0, 2 * np.pi)), rng, period)
    count = int(rng.choice([1, 2, 3], p=[0.6, 0.3, 0.1]))
    lo, hi = (0.12, 0.24) if count == 1 else (0.08, 0.15)
    mask = np.zeros(hw, bool)
    for _ in range(count):
        for _attempt in range(30):
            r = max(4.0, rng.uniform(lo, hi) * size)
            cx, cy = rng.uniform(r, size - r, 2)
            inst = shape_mask(cls.shape, hw, cx, cy, r, rng.uniform(0, 2 * np.pi))
            grown = cv2.dilate(inst.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
            if not (grown & mask).any():
                break
        else:
            continue  # no free place for another instance
        _paint(image, cls, inst, rng, period)
        mask |= inst
    return image, mask


def _encode(ext: str, image: np.ndarray, path: Path) -> bytes:
    params = [cv2.IMWRITE_JPEG_QUALITY, 95] if ext == ".jpg" else []
    ok, buf = cv2.imencode(ext, image, params)
    if not ok:
        raise OSError(f"{path}: could not encode")
    return buf.tobytes()


def split_classes(names: list[str], rng: np.random.Generator) -> dict[str, list[str]]:
    """trn/val/test class lists (52/24/24 %, each non-empty when there are >= 3 classes)."""
    order = [names[i] for i in rng.permutation(len(names))]
    n = len(order)
    n_val = max(1, round(SPLIT_FRACTIONS[1] * n)) if n >= 3 else 0
    n_test = max(1, round(SPLIT_FRACTIONS[2] * n)) if n >= 3 else 0
    n_trn = n - n_val - n_test
    return {
        "trn": sorted(order[:n_trn]),
        "val": sorted(order[n_trn : n_trn + n_val]),
        "test": sorted(order[n_trn + n_val :]),
    }


def generate_dataset(
    out: str | Path,
    classes: int,
    images_per_class: int,
    seed: int = 0,
    size: int = 224,
    progress: Progress | None = None,
) -> list[SynthClass]:
    """Write the dataset under `out` (which must not exist or be empty); returns its classes."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise SamicError(f"{out}: already exists and is not an empty folder")
    if images_per_class < 1:
        raise SamicError(f"--images-per-class must be at least 1, got {images_per_class}")
    if size < 32:
        raise SamicError(f"--size must be at least 32 pixels, got {size}")
    rng = np.random.default_rng(seed)
    specs = make_classes(classes, rng)
    total, done = classes * images_per_class, 0
    for k, cls in enumerate(specs):
        others = specs[:k] + specs[k + 1 :]
        class_rng = np.random.default_rng([seed, k])
        for n in range(1, images_per_class + 1):
            image, mask = make_image(cls, others, size, class_rng)
            jpg = out / cls.name / f"{n}.jpg"
            png = jpg.with_suffix(".png")
            atomic_write_bytes(jpg, _encode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), jpg))
            atomic_write_bytes(png, _encode(".png", mask.astype(np.uint8) * 255, png))
            done += 1
            if progress is not None:
                progress(done, total, f"{cls.name}/{jpg.name}")
    for split, names in split_classes([c.name for c in specs], rng).items():
        atomic_write_text(out / "splits" / f"{split}.txt", "".join(f"{n}\n" for n in names))
    return specs
