"""Big images on disk: decoded once, in a child process, into a raw memory-mapped file and a
small overview, so the process that shows or encodes them never holds a full decode.

A 400 MP photo is 1.2 GB of RGB and its decode briefly twice that; the app needs only the
pixels on screen and SAM's tiles (read from the memory map, page by page), and an overview
for the zoomed-out view and the whole-image embedding. Entries are keyed by the file's
SHA-256 (an edited image is decoded again) and the least recently used are removed beyond
KEEP. Images up to RASTER_PIXELS are read into memory as before.

    python -m samic_core.raster IMAGE RAW OVERVIEW META SIDE raw|overview   # the child
"""

from __future__ import annotations

import contextlib
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
from samic_core.filelock import file_lock

RASTER_PIXELS = 1 << 26  # 67 MP: bigger images are decoded to disk and memory-mapped
OVERVIEW_PIXELS = 1 << 24  # 17 MP: bigger images in memory get an overview too (to be shown)
OVERVIEW_SIDE = 2048  # its longer side (12 MB of RGB): the zoomed-out view, SAM's 1024 px
KEEP = 4  # decoded images kept on disk (each 3 bytes a pixel)
KEEP_OVERVIEWS = 64  # overviews kept of images embedded without a copy (12 MB each at most)
VERSION = 2


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
    entry = _entry(path, sha256, folder, raw=True)
    pixels = np.memmap(entry.raw, np.uint8, "r", shape=(*entry.shape, 3))
    overview = np.load(entry.view)
    return Raster(pixels, overview, overview.shape[0] / entry.shape[0])


def open_overview(
    path: Path, sha256: str, folder: Path
) -> tuple[np.ndarray, tuple[int, int]] | None:
    """(overview, (H, W)) of an image over RASTER_PIXELS without a copy of its pixels (what
    encoding its whole-image embedding needs: a folder's big images are embedded in the
    background without a gigabyte copy each); None for smaller images (read them)."""
    hw = image_size(path)
    if hw is None or hw[0] * hw[1] <= RASTER_PIXELS:
        return None
    entry = _entry(path, sha256, folder, raw=False)
    return np.load(entry.view), entry.shape


@dataclass(frozen=True)
class _Entry:
    raw: Path
    view: Path
    meta: Path
    shape: tuple[int, int]


def _entry(path: Path, sha256: str, folder: Path, raw: bool) -> _Entry:
    """The decoded copy of `path` in `folder` (with its raw pixels when `raw`), decoded now
    when missing; one process or thread decodes an image at a time (a file lock per image)."""
    folder.mkdir(parents=True, exist_ok=True)
    pixels, view, meta = (folder / f"{sha256}{ext}" for ext in (".rgb", ".overview.npy", ".json"))
    with file_lock(folder / f"{sha256}.lock"):
        shape = _read_meta(pixels, view, meta, need_raw=raw)
        if shape is None:
            _decode_in_child(path, pixels, view, meta, raw)
            shape = _read_meta(pixels, view, meta, need_raw=raw)
            if shape is None:
                raise ImageReadError(path, f"its decoded copy in {folder} is incomplete")
        for p in (pixels, view, meta):
            with contextlib.suppress(OSError):  # the overview-only entry has no raw file
                os.utime(p)  # most recently used
    _prune(folder)
    return _Entry(pixels, view, meta, shape)


def _read_meta(raw: Path, view: Path, meta: Path, need_raw: bool) -> tuple[int, int] | None:
    """(H, W) of a complete entry (holding the raw pixels if `need_raw`), or None (missing,
    torn, of another version, or an overview only)."""
    try:
        info = json.loads(meta.read_text())
        h, w = int(info["height"]), int(info["width"])
        ok = info.get("version") == VERSION and view.exists()
        if need_raw:
            ok = ok and bool(info.get("raw")) and raw.stat().st_size == h * w * 3
        return (h, w) if ok else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _decode_in_child(path: Path, raw: Path, view: Path, meta: Path, with_raw: bool) -> None:
    """Run decode_to_disk in a child process: its transient gigabytes are not this process's."""
    cmd = [sys.executable, "-m", "samic_core.raster", str(path), str(raw), str(view), str(meta),
           str(OVERVIEW_SIDE), "raw" if with_raw else "overview"]  # fmt: skip
    flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)  # no console window on Windows
    done = subprocess.run(cmd, capture_output=True, text=True, creationflags=flags)
    if done.returncode < 0:
        raise ImageReadError(
            path, f"its decoder was killed (signal {-done.returncode}; out of memory?)"
        )
    if done.returncode != 0:
        lines = (done.stderr or "").strip().splitlines()
        raise ImageReadError(path, lines[-1] if lines else f"decoder exit {done.returncode}")


def _prune(folder: Path) -> None:
    """Remove the least recently used entries: beyond KEEP with raw pixels, beyond
    KEEP_OVERVIEWS of overviews only. Files in use elsewhere stay (a mapped copy cannot be
    removed on Windows; on POSIX its mapping stays valid)."""
    entries = []
    for meta in folder.glob("*.json"):
        with contextlib.suppress(OSError, ValueError):
            entries.append((meta.stat().st_mtime_ns, bool(json.loads(meta.read_text()).get("raw")),
                            meta))  # fmt: skip
    entries.sort(reverse=True)
    for keep, with_raw in ((KEEP, True), (KEEP_OVERVIEWS, False)):
        for _, _, meta in [e for e in entries if e[1] == with_raw][keep:]:
            for ext in (".json", ".rgb", ".overview.npy"):
                with contextlib.suppress(OSError):
                    meta.with_name(meta.stem + ext).unlink(missing_ok=True)


def decode_to_disk(
    path: Path, raw: Path, view: Path, meta: Path, side: int | None = None, with_raw: bool = True
) -> None:
    """Decode `path` as read_image_rgb does; write its pixels raw to `raw` (if `with_raw`), its
    overview to `view` and, last, their shape to `meta` (each atomically; the temporaries a
    killed decode left are removed first). What the child runs."""
    rgb = read_image_rgb(path)
    if with_raw:
        with atomic_path(raw, clean_stale=True) as tmp:
            rgb.tofile(tmp)
    with atomic_path(view, clean_stale=True) as tmp, open(tmp, "wb") as f:
        np.save(f, overview_of(rgb, side))
    info = {"version": VERSION, "height": rgb.shape[0], "width": rgb.shape[1], "raw": with_raw}
    atomic_write_json(meta, info)


def main(argv: list[str]) -> int:
    try:
        path, raw, view, meta, side, mode = argv
        decode_to_disk(Path(path), Path(raw), Path(view), Path(meta), int(side), mode == "raw")
    except ImageReadError as e:
        sys.stderr.write(f"{e.problem}\n")
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
