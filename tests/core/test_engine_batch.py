"""SamEngine's batched paths (the auto-annotation pipeline's): encode_batch, embed_prepared,
decode_points, each equal to the one-at-a-time path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from samic_core.sam.cache import EmbeddingCache
from samic_core.sam.engine import SamEngine
from samic_core.sam.types import Prompt
from samic_core.testing import make_blob_image


@pytest.fixture(scope="module")
def engine(tiny_sam_checkpoint: Path) -> SamEngine:
    return SamEngine(tiny_sam_checkpoint, "auto", "cpu", cache=None)


def _images() -> list[np.ndarray]:
    return [
        make_blob_image(180, 260, [(70, 90, 30), (190, 80, 25)], seed=5),
        make_blob_image(240, 120, [(60, 60, 20)], seed=6),  # portrait: other padding
        make_blob_image(100, 100, [(50, 50, 20)], seed=7),
    ]


def test_encode_batch_equals_single_encodes(engine: SamEngine) -> None:
    images = _images()
    batch = engine.encode_batch([engine.prepare(im, f"sha{i}") for i, im in enumerate(images)])
    for i, (im, emb) in enumerate(zip(images, batch, strict=True)):
        single = engine.encode(im, f"sha{i}")
        assert emb.features.shape == single.features.shape == (1, 256, 64, 64)
        torch.testing.assert_close(emb.features, single.features, atol=1e-4, rtol=1e-4)
        assert (emb.original_size, emb.input_size) == (single.original_size, single.input_size)
        assert emb.image_sha256 == f"sha{i}" and emb.model_id == engine.model_id
    assert engine.encode_batch([]) == []


def test_embed_prepared_reads_the_cache_and_encodes_only_the_misses(
    tiny_sam_checkpoint: Path, tmp_path: Path
) -> None:
    engine = SamEngine(tiny_sam_checkpoint, "auto", "cpu", EmbeddingCache(tmp_path / "cache"))
    images = _images()
    prepared = [engine.prepare(im, f"{i:064x}", f"im{i}") for i, im in enumerate(images)]
    first = engine.embed_prepared(prepared[:1])  # cached now
    batches: list[int] = []
    hook = engine.sam.image_encoder.register_forward_pre_hook(
        lambda _m, args: batches.append(int(args[0].shape[0]))
    )
    try:
        embs = engine.embed_prepared(prepared)
    finally:
        hook.remove()
    assert batches == [2]  # one pass for the two misses
    assert [e.image_sha256 for e in embs] == [p.image_sha256 for p in prepared]
    torch.testing.assert_close(embs[0].features, first[0].features)
    assert all(engine.cache.contains(p.image_sha256, engine.model_id) for p in prepared)


def test_decode_points_equals_one_decode_per_point(engine: SamEngine) -> None:
    image = _images()[0]
    emb = engine.encode(image)
    points = np.array([[70, 90], [190, 80], [10, 10], [130.5, 60.25], [200, 150]], np.float64)
    batched = engine.decode_points(emb, points, chunk=2)  # chunks of 2, 2 and 1
    assert len(batched) == len(points)
    for pt, got in zip(points, batched, strict=True):
        want = engine.decode(emb, Prompt.from_points(pt[None]))
        assert got.candidate == want.candidate
        assert got.score == pytest.approx(want.score, abs=1e-5)
        assert np.mean(got.mask != want.mask) < 1e-3
        np.testing.assert_allclose(got.low_res_logits, want.low_res_logits, atol=1e-3)
        np.testing.assert_allclose(got.candidate_scores, want.candidate_scores, atol=1e-5)
    assert engine.decode_points(emb, np.zeros((0, 2))) == []


def test_loading_without_random_init_equals_segment_anythings_own_build(
    tiny_sam_checkpoint: Path,
) -> None:
    """load_sam builds on the meta device and assigns the checkpoint's tensors; every parameter
    and buffer (the non-persistent pixel mean and std too) equals segment_anything's build +
    load_state_dict."""
    from segment_anything.build_sam import _build_sam

    from samic_core.sam.loading import infer_encoder_config, load_sam, load_state_dict

    state = load_state_dict(tiny_sam_checkpoint)
    c = infer_encoder_config(state)
    theirs = _build_sam(c.embed_dim, c.depth, c.num_heads, list(c.global_attn_indexes), None)
    theirs.load_state_dict(state)
    ours, _ = load_sam(tiny_sam_checkpoint)
    want = dict((*theirs.named_parameters(), *theirs.named_buffers()))
    got = dict((*ours.named_parameters(), *ours.named_buffers()))
    assert got.keys() == want.keys() and "pixel_mean" in got
    for name, tensor in want.items():
        assert got[name].device.type == "cpu" and got[name].dtype == tensor.dtype, name
        assert torch.equal(got[name], tensor), name
    assert not ours.training
