"""PerSAM on the project's engine: the guided decoder, the mask grid, point selection."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from samic_core.eval.methods import Query, Reference
from samic_core.eval.methods.persam import PerSamMethod
from samic_core.sam.build import open_engine
from samic_core.sam.click_engine import ClickEngine
from samic_core.sam.engine import SamEngine
from samic_core.sam.types import ImageEmbedding, Prompt
from samic_core.testing import make_blob_image


@pytest.fixture(scope="module")
def engine(tiny_sam_checkpoint) -> SamEngine:
    return SamEngine(tiny_sam_checkpoint, device="cpu")


@pytest.fixture(scope="module")
def blob_embedding(engine) -> ImageEmbedding:
    return engine.encode(make_blob_image(96, 128, [(40, 50, 18), (100, 30, 10)], seed=4))


@pytest.fixture(scope="module")
def any_engine(any_sam_checkpoint) -> ClickEngine:
    return open_engine(any_sam_checkpoint, device="cpu")


def test_guided_decoder_without_guidance_equals_the_engine(any_engine):
    """For SAM 1 and SAM 2.1 alike (SAM 2.1's object token and high-res maps included)."""
    engine = any_engine
    emb = engine.encode(make_blob_image(96, 128, [(40, 50, 18), (100, 30, 10)], seed=4))
    pts, labels = np.array([[40.0, 50.0], [5.0, 5.0]]), np.array([1, 0])
    for multimask in (False, True):
        ours = engine.guided_decode(emb, pts, labels, None, None, multimask=multimask)
        ref = engine.decode(emb, Prompt.from_points(pts, labels), multimask=multimask)
        np.testing.assert_allclose(ours.low_res_logits, ref.low_res_logits, atol=1e-4)
        assert ours.score == pytest.approx(ref.score, abs=1e-5)
        assert np.array_equal(ours.mask, ref.mask)


def test_guidance_terms_change_the_decode(any_engine):
    engine = any_engine
    emb = engine.encode(make_blob_image(96, 128, [(40, 50, 18), (100, 30, 10)], seed=4))
    pts, labels = np.array([[40.0, 50.0], [5.0, 5.0]]), np.array([1, 0])
    plain = engine.guided_decode(emb, pts, labels)
    attn = torch.rand(1, 1, 1, 64 * 64)
    target = torch.randn(1, 1, 256)
    for a, t in ((attn, None), (None, target), (attn, target)):
        guided = engine.guided_decode(emb, pts, labels, a, t)
        assert guided.mask.shape == (96, 128)
        assert not np.allclose(guided.low_res_logits, plain.low_res_logits, atol=1e-4)


def test_mask_grid_follows_sam_resize_and_padding(engine, blob_embedding):
    h, w = blob_embedding.original_size  # 96 x 128: input 768 x 1024, rows 48..63 are padding
    left = np.zeros((h, w), bool)
    left[:, : w // 2] = True
    grid = engine.feature_coverage(left, blob_embedding)
    assert grid.shape == (64, 64)
    assert grid[:48, :31].all() and not grid[:, 33:].any()
    assert not grid[49:].any()
    speck = np.zeros((h, w), bool)
    speck[10, 100] = True  # far smaller than a 16 x 16 px feature cell
    grid = engine.feature_coverage(speck, blob_embedding)
    assert grid.sum() >= 1
    ys, xs = np.nonzero(grid.numpy())
    assert abs(xs.mean() - 100 / 2) <= 1.5 and abs(ys.mean() - 10 / 2) <= 1.5


def _embedding(engine, features: torch.Tensor, name: str) -> ImageEmbedding:
    return ImageEmbedding(features[None], (256, 256), (1024, 1024), engine.model_id, name)


def test_points_go_to_the_most_and_least_similar_places(engine):
    g = torch.Generator().manual_seed(0)
    v = torch.randn(256, generator=g)
    ref_feats = torch.randn(256, 64, 64, generator=g) * 0.3
    ref_feats[:, 8:24, 8:24] += v[:, None, None]  # the reference object's cells
    q_feats = torch.randn(256, 64, 64, generator=g) * 0.3
    q_feats[:, 40:50, 10:20] += v[:, None, None]  # the same object, elsewhere
    q_feats[:, 5:10, 50:60] -= v[:, None, None]  # its opposite
    embs = {
        "ref.png": _embedding(engine, ref_feats, "r"),
        "q.png": _embedding(engine, q_feats, "q"),
    }
    method = PerSamMethod(engine, lambda p: embs[Path(p).name])
    mask = np.zeros((256, 256), bool)
    mask[32:96, 32:96] = True  # feature cells 8..23
    image = np.zeros((256, 256, 3), np.uint8)
    method.set_references([Reference(image, mask, np.zeros((0, 2)), Path("ref.png"))])
    pred = method.predict(Query(image, Path("q.png")))
    (px, py), (nx, ny) = pred.points
    assert pred.labels.tolist() == [1, 0]
    assert 40 <= px <= 80 and 160 <= py <= 200  # cells 10..19 x 40..49, 4 px each
    assert 200 <= nx <= 240 and 20 <= ny <= 40
    assert pred.extras["similarity"].shape == (256, 256)


def test_cascade_returns_a_mask_and_k_shot_averages_targets(engine, blob_embedding, tmp_path):
    embs = {"a.png": blob_embedding, "b.png": blob_embedding}
    image = np.zeros((96, 128, 3), np.uint8)
    mask = np.zeros((96, 128), bool)
    mask[35:65, 25:55] = True
    for guidance in (True, False):
        method = PerSamMethod(engine, lambda p: embs[Path(p).name], guidance=guidance)
        one = Reference(image, mask, np.zeros((0, 2)), Path("a.png"))
        method.set_references([one])
        t1 = method.target.clone()
        method.set_references([one, Reference(image, mask, np.zeros((0, 2)), Path("b.png"))])
        assert torch.allclose(method.target, t1)
        pred = method.predict(Query(image, Path("b.png")))
        out = method.segment(engine, blob_embedding, pred, "joint")
        assert out.shape == (96, 128) and out.dtype == bool
