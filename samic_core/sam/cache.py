"""On-disk SAM embedding cache with a small in-memory LRU in front (the project's one LRU of
embeddings: the app, the CLI and the eval harness all read through it).

Entries are keyed by the image file's content hash and the model id (checkpoint hash), so a
renamed image hits and an edited image or another checkpoint misses. Each entry is one file:

    magic b"SAMICEMB" | u32 header length | JSON header | payload (the maps, fp32 or fp16)

Version 3 (this one) stores every feature map of an embedding one after the other, their
shapes listed in the header: one (1, 256, 64, 64) map for SAM 1, three for SAM 2.1 (the image
embedding and its two high-resolution maps). Version-2 entries (one map, SAM 1 only) are still
read as they are. The model id in the key names the engine's model (`vit_b-...`,
`sam2.1_hiera_t-...`), so the engines never share entries.

The header holds the sizes, the key and a CRC-32 of the payload, so a truncated or corrupt file
is detected on read, logged at debug level and treated as a miss (then overwritten by the
recomputed entry). An entry whose shapes are not the ones the model produces (a damaged header
with a valid CRC) is a miss too. Writes are atomic.

The disk part has a size limit (default 10 GiB; `max_bytes`, SAMIC_CACHE_MAX_GB, `--cache-max-gb`,
the app's settings; a bad value is a one-line error naming it, samic_core.settings_values):
after a write, the least recently used entries (by modification time, which a hit refreshes)
are deleted until the cache fits.

fp32 (4 MiB an image for SAM 1, 16 MiB for SAM 2.1) keeps decodes bit-identical to the models'
own predictors; fp16 halves the disk use, and then the engine rounds fresh embeddings the same
way so a mask never depends on whether its embedding came from the cache.

`disk=False` keeps only the in-memory LRU (`--no-cache`: nothing is read from or written to
disk, but an image used twice in a row, e.g. an evaluation episode's query, is encoded once).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import struct
import threading
import zlib
from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch

from samic_core.config import CACHE_DTYPES, DEFAULT_CACHE_DTYPE, DEFAULT_CACHE_MAX_GB
from samic_core.fileio import atomic_write_bytes
from samic_core.paths import embeddings_dir
from samic_core.sam.types import ImageEmbedding
from samic_core.settings_values import check_max_bytes, env_cache_max_bytes

log = logging.getLogger(__name__)

MAGIC = b"SAMICEMB"
FORMAT_VERSION = 3  # 3: several maps an entry (SAM 2.1)
READ_VERSIONS = (2, 3)  # 2: one map, EXIF-oriented pixels (version-1 entries are recomputed)
_LEN = struct.Struct("<I")
_DTYPES = {"float32": ("<f4", torch.float32), "float16": ("<f2", torch.float16)}
assert tuple(_DTYPES) == CACHE_DTYPES
DEFAULT_MAX_GB = DEFAULT_CACHE_MAX_GB
MAX_SIDE = 1 << 16  # original image sides above this are not something SAM encoded
MAX_MAPS = 8


def default_max_bytes() -> int:
    """The size limit from SAMIC_CACHE_MAX_GB, else DEFAULT_MAX_GB; SamicError naming a bad one."""
    return env_cache_max_bytes()


class EmbeddingCache:
    """Disk cache of image embeddings under `root` (default: the user cache dir)."""

    def __init__(
        self,
        root: str | Path | None = None,
        memory_entries: int = 8,
        dtype: str = DEFAULT_CACHE_DTYPE,
        max_bytes: int | None = None,
        disk: bool = True,
    ) -> None:
        if dtype not in _DTYPES:
            raise ValueError(f"cache dtype must be one of {list(_DTYPES)}, got {dtype!r}")
        self.root = Path(root) if root is not None else embeddings_dir()
        self.dtype = dtype
        self.disk = disk
        self.max_bytes = default_max_bytes() if max_bytes is None else check_max_bytes(max_bytes)
        self._memory: OrderedDict[tuple[str, str], ImageEmbedding] = OrderedDict()
        self._memory_entries = memory_entries
        self._lock = threading.Lock()

    def path_for(self, image_sha256: str, model_id: str) -> Path:
        return self.root / model_id / image_sha256[:2] / f"{image_sha256}.emb"

    def contains(self, image_sha256: str, model_id: str) -> bool:
        """True when an entry file exists (not validated; `get` validates)."""
        with self._lock:
            if (model_id, image_sha256) in self._memory:
                return True
        return self.disk and self.path_for(image_sha256, model_id).is_file()

    # ---- read --------------------------------------------------------------------------------
    def get(
        self,
        image_sha256: str,
        model_id: str,
        device: torch.device | str = "cpu",
        expected_shapes: tuple[tuple[int, ...], ...] | None = None,
    ) -> ImageEmbedding | None:
        """The cached embedding, or None when missing or unreadable (a corrupt file is a miss).

        `expected_shapes` (what the model's encoder produces, one shape a map) rejects an entry
        of other shapes.
        """
        key = (model_id, image_sha256)
        with self._lock:
            hit = self._memory.get(key)
            if hit is not None:
                self._memory.move_to_end(key)
                return hit.to(device)
        if not self.disk:
            return None
        path = self.path_for(image_sha256, model_id)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as e:
            log.debug("embedding cache: cannot read %s (%s); recomputing", path, e)
            return None
        try:
            emb = self._decode(data, image_sha256, model_id, device)
            shapes = tuple(tuple(m.shape) for m in emb.maps)
            if expected_shapes is not None and shapes != tuple(map(tuple, expected_shapes)):
                raise ValueError(f"shapes {shapes}, expected {expected_shapes}")
        except ValueError as e:
            log.debug("embedding cache: corrupt entry %s (%s); recomputing", path, e)
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # most recently used: evicted last
        self._remember(key, emb)
        return emb

    @staticmethod
    def _decode(
        data: bytes, image_sha256: str, model_id: str, device: torch.device | str
    ) -> ImageEmbedding:
        if len(data) < len(MAGIC) + _LEN.size or not data.startswith(MAGIC):
            raise ValueError("bad magic")
        (hlen,) = _LEN.unpack_from(data, len(MAGIC))
        start = len(MAGIC) + _LEN.size
        try:
            header = json.loads(data[start : start + hlen].decode("utf-8"))
            version = header.get("version")
            listed = header["shapes"] if version == 3 else [header["shape"]]
            shapes = [tuple(int(d) for d in shape) for shape in listed]
            original_size = (int(header["original_size"][0]), int(header["original_size"][1]))
            input_size = (int(header["input_size"][0]), int(header["input_size"][1]))
            crc = int(header["crc32"])
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, IndexError,
                ValueError, AttributeError) as e:  # fmt: skip
            raise ValueError(f"bad header ({e})") from e
        if version not in READ_VERSIONS:
            raise ValueError(f"unknown version {version}")
        if header.get("model_id") != model_id or header.get("image_sha256") != image_sha256:
            raise ValueError("key mismatch")
        if header.get("dtype") not in _DTYPES:
            raise ValueError(f"unknown dtype {header.get('dtype')!r}")
        if not 1 <= len(shapes) <= MAX_MAPS:
            raise ValueError(f"{len(shapes)} maps")
        for shape in shapes:
            if len(shape) != 4 or shape[0] != 1 or min(shape) < 1 or max(shape) > MAX_SIDE:
                raise ValueError(f"shape {shape} is not (1, C, H, W)")
        if not all(0 < v <= MAX_SIDE for v in (*original_size, *input_size)):
            raise ValueError(f"sizes {original_size} / {input_size} out of range")
        np_dtype = np.dtype(_DTYPES[header["dtype"]][0])
        payload = memoryview(data)[start + hlen :]
        sizes = [int(np.prod(shape)) * np_dtype.itemsize for shape in shapes]
        if len(payload) != sum(sizes):
            raise ValueError(f"payload is {len(payload)} bytes, expected {sum(sizes)}")
        if zlib.crc32(payload) != crc:
            raise ValueError("checksum mismatch")
        maps, offset = [], 0
        for shape, size in zip(shapes, sizes, strict=True):
            array = np.frombuffer(payload[offset : offset + size], dtype=np_dtype).reshape(shape)
            maps.append(torch.from_numpy(array.astype(np.float32)).to(device))
            offset += size
        return ImageEmbedding(maps[0], original_size, input_size, model_id, image_sha256,
                              tuple(maps[1:]))  # fmt: skip

    # ---- write -------------------------------------------------------------------------------
    def put(self, emb: ImageEmbedding) -> Path | None:
        """Store `emb` atomically in the cache's dtype; `emb.image_sha256` must be set.

        Returns the entry's file (None for a memory-only cache, which only remembers `emb`).
        """
        if emb.image_sha256 is None:
            raise ValueError("embedding has no image hash; cannot cache it")
        if not self.disk:
            self._remember((emb.model_id, emb.image_sha256), emb)
            return None
        np_dtype, torch_dtype = _DTYPES[self.dtype]
        arrays = [m.detach().to("cpu", torch_dtype).numpy() for m in emb.maps]
        payload = b"".join(a.astype(np_dtype, copy=False).tobytes() for a in arrays)
        header = json.dumps(
            {
                "version": FORMAT_VERSION,
                "model_id": emb.model_id,
                "image_sha256": emb.image_sha256,
                "dtype": self.dtype,
                "shapes": [list(a.shape) for a in arrays],
                "original_size": list(emb.original_size),
                "input_size": list(emb.input_size),
                "crc32": zlib.crc32(payload),
            }
        ).encode("utf-8")
        path = self.path_for(emb.image_sha256, emb.model_id)
        atomic_write_bytes(path, MAGIC + _LEN.pack(len(header)) + header + payload)
        self._remember((emb.model_id, emb.image_sha256), emb)
        self.evict(keep=path)
        return path

    def evict(self, keep: Path | None = None) -> list[Path]:
        """Delete least recently used entries until the disk part fits `max_bytes`."""
        if not self.disk:
            return []
        entries = []
        for p in self.root.glob("*/*/*.emb"):
            try:
                st = p.stat()
            except OSError:
                continue
            entries.append((st.st_mtime, st.st_size, p))
        total = sum(size for _, size, _ in entries)
        removed = []
        for _, size, p in sorted(entries, key=lambda e: (e[0], str(e[2]))):
            if total <= self.max_bytes:
                break
            if p == keep:
                continue
            try:
                p.unlink()
            except OSError:
                continue
            total -= size
            removed.append(p)
        if removed:
            log.info("embedding cache: evicted %d entries to stay under %d bytes", len(removed),
                     self.max_bytes)  # fmt: skip
        return removed

    def _remember(self, key: tuple[str, str], emb: ImageEmbedding) -> None:
        if self._memory_entries <= 0:
            return
        with self._lock:
            self._memory[key] = emb
            self._memory.move_to_end(key)
            while len(self._memory) > self._memory_entries:
                self._memory.popitem(last=False)

    def clear_memory(self) -> None:
        with self._lock:
            self._memory.clear()
