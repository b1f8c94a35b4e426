"""EmbeddingCache: keys, atomic entries, corruption detection."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from samic_core.sam.cache import EmbeddingCache
from samic_core.sam.engine import SamEngine
from samic_core.sam.types import ImageEmbedding


def _emb(sha: str = "ab" * 32, model: str = "m1", seed: int = 0) -> ImageEmbedding:
    g = torch.Generator().manual_seed(seed)
    return ImageEmbedding(
        torch.randn(1, 256, 64, 64, generator=g), (120, 200), (614, 1024), model, sha
    )


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_round_trip(tmp_path: Path, dtype: str):
    cache = EmbeddingCache(tmp_path, memory_entries=0, dtype=dtype)
    emb = _emb()
    path = cache.put(emb)
    assert path.stat().st_size == pytest.approx(
        256 * 64 * 64 * (4 if dtype == "float32" else 2), rel=0.01
    )
    got = cache.get(emb.image_sha256, "m1")
    assert got is not None
    assert got.original_size == (120, 200) and got.input_size == (614, 1024)
    expected = emb.features if dtype == "float32" else emb.features.half().float()
    assert torch.equal(got.features, expected)


def test_keyed_by_image_hash_and_model(tmp_path: Path):
    cache = EmbeddingCache(tmp_path, memory_entries=0)
    cache.put(_emb("aa" * 32, "m1"))
    assert cache.get("aa" * 32, "m1") is not None
    assert cache.get("bb" * 32, "m1") is None
    assert cache.get("aa" * 32, "m2") is None


@pytest.mark.parametrize(
    "damage",
    ["truncate", "flip_payload", "garbage", "empty", "bad_header"],
)
def test_corrupt_entry_is_a_miss_and_logged(tmp_path: Path, caplog, damage: str):
    cache = EmbeddingCache(tmp_path, memory_entries=0)
    emb = _emb()
    path = cache.put(emb)
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "flip_payload":
        data[-100] ^= 0xFF
    elif damage == "garbage":
        data = bytearray(b"x" * 1000)
    elif damage == "empty":
        data = bytearray()
    elif damage == "bad_header":
        data[14] = ord("}")
    path.write_bytes(bytes(data))
    with caplog.at_level(logging.DEBUG, logger="samic_core.sam.cache"):
        assert cache.get(emb.image_sha256, "m1") is None
    assert any("recomputing" in r.message for r in caplog.records)


def test_entry_under_another_key_is_rejected(tmp_path: Path):
    cache = EmbeddingCache(tmp_path, memory_entries=0)
    a = cache.put(_emb("aa" * 32))
    b = cache.path_for("bb" * 32, "m1")
    b.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(a, b)  # right format, wrong key: must not be returned for bb
    assert cache.get("bb" * 32, "m1") is None


def test_memory_lru_evicts(tmp_path: Path):
    cache = EmbeddingCache(tmp_path, memory_entries=2)
    for i in range(3):
        cache.put(_emb(f"{i:02d}" * 32, seed=i))
    assert len(cache._memory) == 2
    shutil.rmtree(tmp_path / "m1")
    assert cache.get("00" * 32, "m1") is None  # evicted from memory and gone from disk
    assert cache.get("02" * 32, "m1") is not None


def test_no_temp_files_left(tmp_path: Path):
    cache = EmbeddingCache(tmp_path)
    cache.put(_emb())
    leftovers = [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".emb"]
    assert leftovers == []


def test_renamed_image_hits_edited_image_misses(tiny_sam_checkpoint, image_folder, tmp_path):
    cache = EmbeddingCache(tmp_path / "cache")
    engine = SamEngine(tiny_sam_checkpoint, "auto", "cpu", cache=cache)
    engine.embed_file(image_folder / "a.png")
    renamed = image_folder / "renamed.png"
    shutil.copy(image_folder / "a.png", renamed)
    assert engine.is_cached(renamed)
    _, cached = engine.embed_file(renamed)
    assert cached
    edited = image_folder / "edited.png"
    import cv2

    img = cv2.imread(str(image_folder / "a.png"))
    img[0, 0] = (img[0, 0].astype(int) + 50) % 256
    cv2.imwrite(str(edited), img)
    assert not engine.is_cached(edited)
    _, cached = engine.embed_file(edited)
    assert not cached


def test_corrupt_entry_is_recomputed_and_rewritten(tiny_sam_checkpoint, image_folder, tmp_path):
    cache = EmbeddingCache(tmp_path / "cache", memory_entries=0)
    engine = SamEngine(tiny_sam_checkpoint, "auto", "cpu", cache=cache)
    first, _ = engine.embed_file(image_folder / "b.png")
    path = cache.path_for(first.image_sha256, engine.model_id)
    path.write_bytes(path.read_bytes()[:5000])
    again, cached = engine.embed_file(image_folder / "b.png")
    assert not cached
    assert torch.equal(again.features, first.features)
    assert cache.get(first.image_sha256, engine.model_id) is not None  # rewritten
    np.testing.assert_array_equal(again.original_size, first.original_size)


def test_entry_of_the_wrong_shape_with_a_valid_crc_is_recomputed(
    tiny_sam_checkpoint, image_folder, tmp_path
):
    cache = EmbeddingCache(tmp_path / "cache", memory_entries=0)
    engine = SamEngine(tiny_sam_checkpoint, "auto", "cpu", cache=cache)
    first, _ = engine.embed_file(image_folder / "b.png")
    assert tuple(first.features.shape) == engine.embedding_shape
    small = ImageEmbedding(torch.zeros(1, 256, 8, 8), first.original_size, first.input_size,
                           engine.model_id, first.image_sha256)  # fmt: skip
    EmbeddingCache(tmp_path / "cache", memory_entries=0).put(small)  # well-formed, wrong shape
    again, cached = engine.embed_file(image_folder / "b.png")
    assert not cached and torch.equal(again.features, first.features)
    got = cache.get(first.image_sha256, engine.model_id, expected_shapes=engine.embedding_shapes)
    assert got is not None and tuple(got.features.shape) == engine.embedding_shape  # rewritten


def test_disk_size_limit_evicts_least_recently_used(tmp_path: Path, monkeypatch):
    one = EmbeddingCache(tmp_path, memory_entries=0).put(_emb("00" * 32)).stat().st_size
    cache = EmbeddingCache(tmp_path, memory_entries=0, max_bytes=int(2.5 * one))
    import os

    for i in range(1, 3):
        os.utime(cache.put(_emb(f"{i:02d}" * 32, seed=i)), (1000 + i, 1000 + i))
    os.utime(cache.path_for("00" * 32, "m1"), (900, 900))
    assert cache.get("00" * 32, "m1") is not None  # a hit makes 00 the most recently used
    cache.put(_emb("03" * 32, seed=3))  # over the limit: 01 and 02 are the oldest
    left = sorted(p.stem[:2] for p in tmp_path.rglob("*.emb"))
    assert left == ["00", "03"]
    monkeypatch.setenv("SAMIC_CACHE_MAX_GB", "0.5")
    assert EmbeddingCache(tmp_path).max_bytes == 1 << 29


def test_no_cache_keeps_embeddings_in_memory_only(tiny_sam_checkpoint, image_folder, tmp_path):
    """--no-cache: nothing on disk, and the eval harness's embedder (which has no LRU of its own
    any more) still encodes an image used twice in a row once."""
    from samic_core.eval.harness import EmbeddingProvider

    cache = EmbeddingCache(tmp_path / "cache", disk=False)
    engine = SamEngine(tiny_sam_checkpoint, "auto", "cpu", cache=cache)
    encodes = []
    encode = engine.encode_batch  # every encode is one encoder pass
    engine.encode_batch = lambda *a, **k: encodes.append(1) or encode(*a, **k)  # type: ignore[method-assign]
    embedder = EmbeddingProvider(engine)
    first = embedder(image_folder / "a.png")
    assert embedder(image_folder / "a.png") is first and len(encodes) == 1
    assert engine.is_cached(image_folder / "a.png") and embedder.seconds > 0
    assert not (tmp_path / "cache").exists()
    assert cache.evict() == [] and cache.put(first) is None


def _sam2_like(sha: str = "cd" * 32) -> ImageEmbedding:
    g = torch.Generator().manual_seed(3)
    maps = [torch.randn(1, 256, 64, 64, generator=g), torch.randn(1, 32, 256, 256, generator=g),
            torch.randn(1, 64, 128, 128, generator=g)]  # fmt: skip
    return ImageEmbedding(maps[0], (90, 160), (1024, 1024), "sam2.1_hiera_t-x", sha,
                          tuple(maps[1:]))  # fmt: skip


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_several_maps_round_trip_and_shapes_are_checked(tmp_path: Path, dtype: str):
    """SAM 2.1's three maps are one entry; an entry with other shapes is a miss."""
    cache = EmbeddingCache(tmp_path, memory_entries=0, dtype=dtype)
    emb = _sam2_like()
    cache.put(emb)
    shapes = tuple(tuple(m.shape) for m in emb.maps)
    got = cache.get(emb.image_sha256, emb.model_id, expected_shapes=shapes)
    assert got is not None and len(got.high_res) == 2
    tol = 0 if dtype == "float32" else 2e-3
    for a, b in zip(got.maps, emb.maps, strict=True):
        torch.testing.assert_close(a, b, atol=tol * 4, rtol=tol)
    assert got.input_size == (1024, 1024)
    assert cache.get(emb.image_sha256, emb.model_id, expected_shapes=shapes[:1]) is None


def test_version_2_entries_still_read(tmp_path: Path):
    """A SAM 1 entry written by the previous format (one map, `shape`) reads as it is."""
    import json
    import struct
    import zlib

    from samic_core.sam.cache import MAGIC

    emb = _emb()
    payload = emb.features.numpy().astype("<f4").tobytes()
    header = json.dumps({
        "version": 2, "model_id": "m1", "image_sha256": emb.image_sha256, "dtype": "float32",
        "shape": [1, 256, 64, 64], "original_size": [120, 200], "input_size": [614, 1024],
        "crc32": zlib.crc32(payload),
    }).encode()  # fmt: skip
    cache = EmbeddingCache(tmp_path, memory_entries=0)
    path = cache.path_for(emb.image_sha256, "m1")
    path.parent.mkdir(parents=True)
    path.write_bytes(MAGIC + struct.pack("<I", len(header)) + header + payload)
    got = cache.get(emb.image_sha256, "m1", expected_shapes=((1, 256, 64, 64),))
    assert got is not None and got.high_res == ()
    assert torch.equal(got.features, emb.features)


def test_engines_never_share_entries(tiny_sam_checkpoint, tiny_sam2_checkpoint, image_folder,
                                     tmp_path):  # fmt: skip
    """The key names the engine's model: SAM 1 and SAM 2.1 entries of one image coexist."""
    from samic_core.sam.build import open_engine

    cache = EmbeddingCache(tmp_path / "cache", memory_entries=0)
    one = open_engine(tiny_sam_checkpoint, "auto", "cpu", cache)
    two = open_engine(tiny_sam2_checkpoint, "auto", "cpu", cache)
    assert one.model_id.startswith("custom-") and two.model_id.startswith("sam2.1_custom-")
    e1, _ = one.embed_file(image_folder / "a.png")
    e2, cached = two.embed_file(image_folder / "a.png")
    assert not cached and len(e2.high_res) == 2 and e1.high_res == ()
    assert one.embed_file(image_folder / "a.png")[1] and two.embed_file(image_folder / "a.png")[1]
    again = two.cached_embedding(image_folder / "a.png")
    assert again is not None
    assert all(torch.equal(a, b) for a, b in zip(again.maps, e2.maps, strict=True))
