"""Atomic file writes, content hashes and image reading shared by every module."""

from __future__ import annotations

import glob
import hashlib
import io
import json
import os
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from samic_core.errors import ImageReadError

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
STALE_SECONDS = 600  # a temporary file or folder untouched this long was left by a killed run


def current_umask() -> int:
    """The process umask (read without changing it where /proc allows)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def normal_mode(path: str | Path, directory: bool = False) -> None:
    """Give a file made by mkstemp / mkdtemp (0600 / 0700) the mode a plain write would have."""
    os.chmod(path, (0o777 if directory else 0o666) & ~current_umask())


def remove_stale_temps(path: str | Path, age: float = STALE_SECONDS) -> list[Path]:
    """Delete `.NAME.*.tmp` files beside `path` (atomic_path's temporaries) older than `age` s.

    Only our own temporaries of this very target are touched, and only old ones, so a write in
    progress in another process is never removed.
    """
    path = Path(path)
    removed: list[Path] = []
    if not path.parent.is_dir():
        return removed
    now = time.time()
    for p in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        try:
            if p.is_file() and now - p.stat().st_mtime > age:
                p.unlink()
                removed.append(p)
        except OSError:
            continue
    return removed


@contextmanager
def atomic_path(path: str | Path, clean_stale: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success rename it over `path`, else delete it.

    The rename is atomic on one file system, so readers see the old file or the new one,
    never a half-written file, even if the process dies mid-write. The file gets the mode a
    plain write would give it (umask respected). `clean_stale` first removes temporaries of
    `path` that killed runs left behind (for big files such as model files).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if clean_stale:
        remove_stale_temps(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    normal_mode(tmp_path)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write bytes to `path` atomically (fsync'd temp file, then rename)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write UTF-8 text to `path` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | Path, obj: Any) -> None:
    """Write `obj` as indented JSON to `path` atomically."""
    atomic_write_text(path, json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def atomic_write_image(path: str | Path, image: np.ndarray) -> None:
    """Encode `image` as PNG (uint8 or uint16) and write it atomically."""
    ok, buf = cv2.imencode(".png", image)
    if not ok:
        raise OSError(f"{path}: could not encode PNG")
    atomic_write_bytes(path, buf.tobytes())


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


class FileHasher:
    """Memoises file content hashes by (path, size, mtime) so a file is hashed once per change."""

    def __init__(self, hash_fn: Callable[[Path], str] = sha256_file) -> None:
        self._hash_fn = hash_fn
        self._memo: dict[tuple[str, int, int], str] = {}

    def __call__(self, path: str | Path) -> str:
        p = Path(path).resolve()
        st = p.stat()
        key = (str(p), st.st_size, st.st_mtime_ns)
        if key not in self._memo:
            self._memo[key] = self._hash_fn(p)
        return self._memo[key]


def list_images(folder: str | Path) -> list[Path]:
    """Image files directly inside `folder`, sorted by name (annotations/ is not scanned)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder}: not a folder")
    return sorted(
        (p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS),
        key=lambda p: p.name.lower(),
    )


EXIF_ORIENTATION_TAG = 0x0112


def exif_orientation(data: bytes | Path) -> int:
    """The EXIF orientation (1-8) of an image's bytes or file; 1 when absent or unreadable.

    Reads only the header (Pillow opens lazily), so it costs nothing next to decoding.
    """
    from PIL import Image

    try:
        src = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(src) as im:
                value = im.getexif().get(EXIF_ORIENTATION_TAG, 1)
    except Exception:  # Pillow raises many types for foreign files; no EXIF then
        return 1
    return int(value) if isinstance(value, int) and 1 <= value <= 8 else 1


def apply_orientation(image: np.ndarray, orientation: int) -> np.ndarray:
    """Turn a decoded (H, W[, C]) array as EXIF `orientation` says (as PIL's exif_transpose)."""
    swap = (1, 0, *range(2, image.ndim))
    ops = {
        2: lambda a: a[:, ::-1],
        3: lambda a: a[::-1, ::-1],
        4: lambda a: a[::-1],
        5: lambda a: a.transpose(swap),
        6: lambda a: np.rot90(a, -1),
        7: lambda a: a.transpose(swap)[::-1, ::-1],
        8: lambda a: np.rot90(a, 1),
    }
    op = ops.get(orientation)
    return image if op is None else np.ascontiguousarray(op(image))


def oriented_size(width: int, height: int, orientation: int) -> tuple[int, int]:
    """(width, height) of the image as shown: orientations 5-8 swap the sides."""
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def image_size(path: str | Path) -> tuple[int, int] | None:
    """(H, W) of an image file as shown (EXIF turn applied), from its header alone; None when
    the header cannot be read (read_image_rgb then says why)."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as im:
                return _shown_size(im)
    except Image.DecompressionBombError:  # a very big image: its header is what we want
        return _unchecked_size(path)
    except Exception:  # Pillow raises many types for foreign files
        return None


def _shown_size(im: Any) -> tuple[int, int]:
    w, h = im.size
    try:
        orientation = im.getexif().get(EXIF_ORIENTATION_TAG, 1)
    except Exception:  # a header without readable EXIF: as stored
        orientation = 1
    w, h = oriented_size(w, h, orientation if isinstance(orientation, int) else 1)
    return h, w


def _unchecked_size(path: str | Path) -> tuple[int, int] | None:
    """(H, W) from the header of an image Pillow refuses to open as a decompression bomb: its
    format's header parser run directly (it reads the header only, never the pixels)."""
    from PIL import Image

    Image.init()
    with open(path, "rb") as f:
        prefix = f.read(16)
        for fmt in Image.ID:
            factory, accept = Image.OPEN[fmt]
            if accept is not None and not accept(prefix):
                continue
            f.seek(0)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    return _shown_size(factory(f, str(path)))
            except Exception:  # not this format
                continue
    return None


def read_image_rgb(path: str | Path) -> np.ndarray:
    """Read an image file as an RGB uint8 array (H, W, 3) as viewers show it; errors name the file.

    Reads bytes first so non-ASCII paths work on every platform; grey and RGBA become RGB; the
    EXIF orientation of phone photos is applied (as labelme and image viewers do), so masks,
    SAM embeddings and exports all see the same upright pixels.
    """
    path = Path(path)
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError as e:
        raise ImageReadError(path, f"cannot read file ({e.strerror or e})") from e
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if image is None:
        raise ImageReadError(path, "not a readable image (corrupt or unsupported format)")
    if image.dtype != np.uint8:
        image = cv2.normalize(image, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    elif image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2RGB)
    else:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    return apply_orientation(image, exif_orientation(data.tobytes()))
