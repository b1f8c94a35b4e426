"""Hostile and damaged SAMIC model files for tests: wrong metadata, bad pickles, zip bombs.

Each is written the way a real model file is (a torch.save zip archive with `<root>/data.pkl`),
so the real readers run on them. Nothing here trains or downloads anything.
"""

from __future__ import annotations

import pickle
import struct
import zlib
from pathlib import Path
from typing import Any

import torch

from samic_core.modelfile.meta import FORMAT, FORMAT_VERSION

MIB = 1 << 20
_MARK = "@@inflated@@"


def plain_meta(**changes: Any) -> dict[str, Any]:
    """Valid metadata of a 64 px resnet50 model of class 'disc', with `changes` applied."""
    meta: dict[str, Any] = dict(
        classes=["disc"], backbone="resnet50", backbone_weights="none",
        backbone_sha256="0" * 64, image_size=64, output="sigmoid", support_resize="max",
        learnable_params=1, epochs_run=1, best_epoch=1, train_loss=1.0, val_loss=None,
        config={"schedule": "paper"},
    )  # fmt: skip
    meta.update(changes)
    return meta


def write_model_dict(path: Path, meta: Any, train_state: Any = None) -> Path:
    """A model file whose metadata is `meta` as given (valid or not), without weights."""
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "meta": meta,
        "state_dict": {},
        "train_state": train_state,
    }
    torch.save(payload, path)
    return path


def write_model_pickle(path: Path, pickled: bytes) -> Path:
    """A model-file-shaped archive whose data.pkl holds exactly these bytes."""
    return write_zip(path, [("archive/data.pkl", pickled), ("archive/version", b"3\n")])


def write_zip(path: Path, members: list[tuple[str, bytes]]) -> Path:
    """A stored (uncompressed) zip archive of these members."""
    return _write_raw_zip(
        path, [(name, 0, data, zlib.crc32(data), len(data)) for name, data in members]
    )


def write_inflating_model(
    path: Path, inflated: int, declared: int | None = None, member: str = "archive/data.pkl"
) -> Path:
    """A model file of about inflated/1000 bytes with a member that inflates to `inflated`
    bytes. The pickle member is then a valid pickle whose first class name is that long; any
    other member is a weight record of that size beside a valid pickle. `declared`: the size
    the archive claims for it (default: the true one; a smaller one is a lying archive)."""
    chunks = max(1, inflated // MIB)
    payload = {"format": FORMAT, "format_version": FORMAT_VERSION, "state_dict": {},
               "train_state": None}  # fmt: skip
    members = [("archive/version", 0, b"3\n", zlib.crc32(b"3\n"), 2)]
    if member.endswith("data.pkl"):
        body = pickle.dumps({**payload, "meta": plain_meta(classes=[_MARK])}, protocol=2)
        mark = b"X" + struct.pack("<I", len(_MARK)) + _MARK.encode()
        head, tail = body.split(mark)
        head += b"X" + struct.pack("<I", chunks * MIB)
    else:
        head, tail = b"", b""
        pickled = pickle.dumps({**payload, "meta": plain_meta()}, protocol=2)
        members.append(("archive/data.pkl", 0, pickled, zlib.crc32(pickled), len(pickled)))
    data, crc, size = _inflating(head, chunks, tail)
    members.append((member, 8, data, crc, size if declared is None else declared))
    return _write_raw_zip(path, members)


def _inflating(head: bytes, chunks: int, tail: bytes) -> tuple[bytes, int, int]:
    """Raw deflate data of head + chunks MiB of 'a' + tail, its CRC-32 and its size. Each part
    ends on a full flush, so one compressed MiB can be repeated; only the last part is final."""
    piece = b"a" * MIB
    first, repeat, last = (zlib.compressobj(9, zlib.DEFLATED, -15) for _ in range(3))
    data = b"".join(
        (
            first.compress(head) + first.flush(zlib.Z_FULL_FLUSH),
            (repeat.compress(piece) + repeat.flush(zlib.Z_FULL_FLUSH)) * chunks,
            last.compress(tail) + last.flush(),
        )
    )
    crc = zlib.crc32(head)
    for _ in range(chunks):
        crc = zlib.crc32(piece, crc)
    return data, zlib.crc32(tail, crc), len(head) + chunks * MIB + len(tail)


def _write_raw_zip(path: Path, members: list[tuple[str, int, bytes, int, int]]) -> Path:
    """A zip archive of already compressed members: (name, method, data, crc, declared size)."""
    out, central = bytearray(), bytearray()
    for name, method, data, crc, size in members:
        raw = name.encode()
        offset = len(out)
        out += struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0, crc, len(data), size, len(raw), 0
        )
        out += raw + data
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0, crc, len(data), size,
            len(raw), 0, 0, 0, 0, 0, offset,
        )  # fmt: skip
        central += raw
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(out), 0
    )
    path.write_bytes(bytes(out + central + end))
    return path
