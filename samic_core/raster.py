"""Big images on disk: decoded once, in a child process, into a raw memory-mapped file and a
small overview, so the process that shows or encodes them never holds a full decode.

A 400 MP photo is 1.2 GB of RGB and its decode briefly twice that; the app needs only the
pixels on screen and SAM's tiles (read from the memory map, page by page), and an overview
for the zoomed-out view and the whole-image embedding. Entries are keyed by the file's
SHA-256 (an edited image is decoded again) and the least recently used are removed beyond
KEEP. Images up to RASTER_PIXELS are read into memory as before.

    python -m samic_core.raster IMAGE RAW OVERVIEW META SIDE  # the child open_raster runs
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from samic_core.errors import ImageReadError
from samic_core.fileio import atomic_path, atomic_write_json, image_size, read_image_rgb

RASTER_PIXELS = 1 << 26  # 67 MP: bigger images are decoded to disk and memory-mapped
OVERVIEW_PIXELS = 1 << 24  # 17 MP: bigger images in memory get an overview too (to be shown)
OVERVIEW_SIDE = 2048  # its longer side (12 MB of RGB): the zoomed-out view, SAM's 1024 px
KEEP = 4  # decoded images kept on disk (each 3 bytes a pixel)
VERSION = 1


@dataclass(frozen=True)
class Raster:
    """An image's pixels (H, W, 3) uint8, in memory or a read-only memory map, and its overview
    (h, w, 3) at `scale` = h / H (the pixels themselves when 1)."""

    pixels: np.ndarray
    overview: np.ndarray
    scale: float

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.pixels.shape[0]), int(self.pixels.shape[1])

    @property
    def mapped(self) -> bool:
        return isinstance(self.pixels, np.memmap)


def in_memory(rgb: np.ndarray) -> Raster:
    return Raster(rgb, rgb, 1.0)


def overview_of(rgb: np.ndarray, side: int | None = None) -> np.ndarray:
    """The image shrunk (area average) so its longer side is at most `side` (OVERVIEW_SIDE)."""
    side = OVERVIEW_SIDE if side is None else side
    h, w = rgb.shape[:2]
    s = min(1.0, side / max(h, w))
    if s == 1.0:
        return rgb
    size = (max(1, round(w * s)), max(1, round(h * s)))
    return cv2.resize(np.asarray(rgb), size, interpolation=cv2.INTER_AREA)


def open_raster(path: Path, sha256: str, folder: Path | None) -> Raster:
    """The pixels of `path`: read into memory up to RASTER_PIXELS (or without a folder to
    decode to), with an overview over OVERVIEW_PIXELS; bigger ones decoded once into `folder`
    and memory-mapped. ImageReadError names the file."""
    hw = image_size(path)
    if folder is None or hw is None or hw[0] * hw[1] <= RASTER_PIXELS:
        rgb = read_image_rgb(path)
        if rgb.shape[0] * rgb.shape[1] <= OVERVIEW_PIXELS:
            return in_memory(rgb)
        overview = overview_of(rgb)
        return Raster(rgb, overview, overview.shape[0] / rgb.shape[0])
    folder.mkdir(parents=True, exist_ok=True)
    raw, view, meta = (folder / f"{sha256}{ext}" for ext in (".rgb", ".overview.npy", ".json"))
    info = _read_meta(meta, raw, view)
    if info is None:
        _decode_in_child(path, raw, view, meta)
        info = _read_meta(meta, raw, view)
        if info is None:
            raise ImageReadError(path, f"its decoded copy in {folder} is incomplete")
    for p in (raw, view, meta):
        os.utime(p)  # most recently used
    _prune(folder)
    pixels = np.memmap(raw, np.uint8, "r", shape=(*info, 3))
    overview = np.load(view)
    return Raster(pixels, overview, overview.shape[0] / info[0])


def _read_meta(meta: Path, raw: Path, view: Path) -> tuple[int, int] | None:
    """(H, W) of a complete entry, or None (missing, torn or of another version)."""
    try:
        info = json.loads(meta.read_text())
        h, w = int(info["height"]), int(info["width"])
        ok = info.get("version") == VERSION and raw.stat().st_size == h * w * 3
        return (h, w) if ok and view.exists() else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _decode_in_child(path: Path, raw: Path, view: Path, meta: Path) -> None:
    """Run decode_to_disk in a child process: its transient gigabytes are not this process's."""
    cmd = [sys.executable, "-m", "samic_core.raster", str(path), str(raw), str(view),
           str(meta), str(OVERVIEW_SIDE)]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        lines = (done.stderr or "").strip().splitlines()
        raise ImageReadError(path, lines[-1] if lines else f"decoder exit {done.returncode}")


def _prune(folder: Path) -> None:
    """Remove the least recently used entries beyond KEEP."""
    metas = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for meta in metas[KEEP:]:
        for ext in (".rgb", ".overview.npy", ".json"):
            meta.with_name(meta.stem + ext).unlink(missing_ok=True)


def decode_to_disk(
    path: Path, raw: Path, view: Path, meta: Path, side: int | None = None
) -> None:
    """Decode `path` as read_image_rgb does; write its pixels raw to `raw`, its overview to
    `view` and, last, their shape to `meta` (each atomically). What the child runs."""
    rgb = read_image_rgb(path)
    with atomic_path(raw) as tmp:
        rgb.tofile(tmp)
    with atomic_path(view) as tmp, open(tmp, "wb") as f:
        np.save(f, overview_of(rgb, side))
    atomic_write_json(meta, {"version": VERSION, "height": rgb.shape[0], "width": rgb.shape[1]})


def main(argv: list[str]) -> int:
    try:
        path, raw, view, meta, side = argv
        decode_to_disk(Path(path), Path(raw), Path(view), Path(meta), int(side))
    except ImageReadError as e:
        sys.stderr.write(f"{e.problem}\n")
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
