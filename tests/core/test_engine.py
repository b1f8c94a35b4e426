"""SamEngine: loading, identity with SamPredictor, union of separately prompted objects."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from segment_anything import SamPredictor

from samic_core.errors import CheckpointError
from samic_core.sam.cache import EmbeddingCache
from samic_core.sam.engine import SamEngine
from samic_core.sam.loading import load_sam, load_state_dict
from samic_core.sam.types import Prompt
from samic_core.testing import make_blob_image


@pytest.fixture(scope="module")
def engine(tiny_sam_checkpoint: Path) -> SamEngine:
    return SamEngine(tiny_sam_checkpoint, "auto", "cpu", cache=None)


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    return make_blob_image(180, 260, [(70, 90, 30), (190, 80, 25)], seed=5)


@pytest.fixture(scope="module")
def reference(tiny_sam_checkpoint: Path, image: np.ndarray) -> SamPredictor:
    """segment_anything's own predictor on the same checkpoint and image."""
    sam, _ = load_sam(tiny_sam_checkpoint)
    predictor = SamPredictor(sam)
    predictor.set_image(image)
    return predictor


PROMPTS = [
    ([(70, 90)], [1], None, None),
    ([(70, 90)], [1], None, False),
    ([(70, 90), (200, 80)], [1, 0], None, None),
    ([(70.4, 91.7), (75, 95), (10, 10)], [1, 1, 0], None, True),
    ([], [], [40, 60, 100, 120], None),
    ([(70, 90)], [1], [40, 60, 100, 120], None),
]


@pytest.mark.parametrize(("points", "labels", "box", "multimask"), PROMPTS)
def test_decode_matches_sam_predictor(engine, reference, image, points, labels, box, multimask):
    emb = engine.encode(image)
    assert torch.equal(emb.features, reference.features)
    prompt = Prompt.from_points(points, labels, box)
    result = engine.decode(emb, prompt, multimask=multimask)
    mm = (len(points) == 1 and box is None) if multimask is None else multimask
    masks, scores, logits = reference.predict(
        point_coords=np.array(points, float).reshape(-1, 2) if points else None,
        point_labels=np.array(labels) if points else None,
        box=np.array(box, float) if box is not None else None,
        multimask_output=mm,
    )
    best = int(np.argmax(scores))
    np.testing.assert_array_equal(result.mask, masks[best])
    assert result.score == pytest.approx(float(scores[best]), abs=0)
    np.testing.assert_array_equal(result.low_res_logits, logits[best : best + 1])
    np.testing.assert_array_equal(result.candidate_scores, scores)


def test_mask_input_feedback_matches_sam_predictor(engine, reference, image):
    emb = engine.encode(image)
    first = engine.decode(emb, Prompt.from_points([(70, 90)]))
    second = engine.decode(
        emb, Prompt.from_points([(70, 90), (80, 95)], mask_input=first.low_res_logits)
    )
    masks, scores, _ = reference.predict(
        point_coords=np.array([(70, 90), (80, 95)], float),
        point_labels=np.array([1, 1]),
        mask_input=first.low_res_logits,
        multimask_output=False,
    )
    np.testing.assert_array_equal(second.mask, masks[0])
    assert second.score == pytest.approx(float(scores[0]), abs=0)


def test_candidate_choice(engine, image):
    emb = engine.encode(image)
    results = [engine.decode(emb, Prompt.from_points([(70, 90)]), candidate=i) for i in range(3)]
    assert [r.candidate for r in results] == [0, 1, 2]
    for i, r in enumerate(results):
        assert r.score == pytest.approx(float(r.candidate_scores[i]))


def test_union_of_objects_is_not_one_joint_decode(engine, image):
    emb = engine.encode(image)
    a = Prompt.from_points([(70, 90), (60, 80)])
    b = Prompt.from_points([(190, 80), (195, 85)])
    objects = engine.decode_objects(emb, [a, b])
    np.testing.assert_array_equal(objects.union, objects.objects[0].mask | objects.objects[1].mask)
    joint = engine.decode(emb, Prompt.from_points([(70, 90), (60, 80), (190, 80), (195, 85)]))
    assert not np.array_equal(objects.union, joint.mask)


def test_decode_does_not_run_encoder(engine, image, monkeypatch):
    emb = engine.encode(image)

    def boom(*args, **kwargs):
        raise AssertionError("encoder ran during decode")

    monkeypatch.setattr(engine.sam.image_encoder, "forward", boom)
    engine.decode(emb, Prompt.from_points([(70, 90)]))


def test_embed_file_uses_cache(tiny_sam_checkpoint, image_folder, tmp_path, monkeypatch):
    cache = EmbeddingCache(tmp_path / "cache")
    engine = SamEngine(tiny_sam_checkpoint, "auto", "cpu", cache=cache)
    first, cached = engine.embed_file(image_folder / "a.png")
    assert not cached
    cache.clear_memory()
    monkeypatch.setattr(engine, "encode_batch", lambda *a, **k: pytest.fail("encoder ran on a hit"))
    second, cached = engine.embed_file(image_folder / "a.png")
    assert cached
    assert torch.equal(first.features, second.features)
    assert second.original_size == (240, 320)


def test_fp16_cache_gives_same_mask_fresh_and_cached(tiny_sam_checkpoint, image_folder, tmp_path):
    cache = EmbeddingCache(tmp_path / "cache16", dtype="float16")
    engine = SamEngine(tiny_sam_checkpoint, "auto", "cpu", cache=cache)
    fresh, _ = engine.embed_file(image_folder / "a.png")
    cache.clear_memory()
    cached, was_cached = engine.embed_file(image_folder / "a.png")
    assert was_cached
    prompt = Prompt.from_points([(80, 120), (90, 125)])
    np.testing.assert_array_equal(
        engine.decode(fresh, prompt).mask, engine.decode(cached, prompt).mask
    )


def test_model_type_mismatch_is_refused(tiny_sam_checkpoint, tmp_path):
    state = load_state_dict(tiny_sam_checkpoint)
    # pretend it is a vit_b: the check looks at the encoder's shapes, so fake vit_b's
    from samic_core.sam import loading

    vit_b = loading.REGISTRY_CONFIGS["vit_b"]
    tiny = loading.infer_encoder_config(state)
    loading.REGISTRY_CONFIGS["vit_b"] = tiny
    try:
        with pytest.raises(CheckpointError, match="vit_b checkpoint, but --model-type vit_h"):
            load_sam(tiny_sam_checkpoint, "vit_h")
    finally:
        loading.REGISTRY_CONFIGS["vit_b"] = vit_b


@pytest.mark.parametrize(
    ("content", "problem"),
    [(b"", "not a readable PyTorch checkpoint"), (b"garbage" * 100, "not a readable")],
)
def test_corrupt_checkpoint_is_reported(tmp_path, content, problem):
    path = tmp_path / "bad.pth"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=problem) as e:
        load_sam(path)
    assert str(path) in str(e.value)


def test_truncated_checkpoint_is_reported(tiny_sam_checkpoint, tmp_path):
    data = tiny_sam_checkpoint.read_bytes()
    path = tmp_path / "truncated.pth"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated.pth"):
        load_sam(path)


def test_not_a_sam_checkpoint(tmp_path):
    path = tmp_path / "other.pth"
    torch.save({"weight": torch.zeros(3)}, path)
    with pytest.raises(CheckpointError, match="not a Segment Anything checkpoint"):
        load_sam(path)


def test_encoder_config_is_inferred_for_official_sizes():
    from segment_anything.build_sam import _build_sam

    from samic_core.sam.loading import REGISTRY_CONFIGS, infer_encoder_config

    cfg = REGISTRY_CONFIGS["vit_b"]
    with torch.device("meta"):
        sam = _build_sam(cfg.embed_dim, cfg.depth, cfg.num_heads, list(cfg.global_attn_indexes))
    assert infer_encoder_config(sam.state_dict()) == cfg


def test_decode_runs_while_another_thread_encodes(tiny_sam_checkpoint, image):
    """A click must not wait for the encoder working on the next image."""
    import threading

    engine = SamEngine(tiny_sam_checkpoint, "auto", "cpu", cache=None)
    emb = engine.encode(image)
    entered, release = threading.Event(), threading.Event()
    original = engine.sam.image_encoder.forward

    def slow_forward(x):
        entered.set()
        assert release.wait(30)
        return original(x)

    engine.sam.image_encoder.forward = slow_forward
    worker = threading.Thread(target=engine.encode, args=(image,))
    worker.start()
    try:
        assert entered.wait(30)
        result = engine.decode(emb, Prompt.from_points([(70, 90)]))  # would deadlock if serialised
        assert result.mask.shape == image.shape[:2]
    finally:
        release.set()
        worker.join(30)
    assert not worker.is_alive()


def test_encode_reports_progress_and_can_be_aborted_between_blocks(engine, image):
    class Stop(Exception):
        pass

    seen: list[tuple[int, int, str]] = []
    full = engine.encode(image, progress=lambda d, t, n: seen.append((d, t, n)))
    blocks = len(engine.sam.image_encoder.blocks)
    assert seen == [(k, blocks, "") for k in range(blocks)] + [(blocks, blocks, "")]

    def stop_at_second(done: int, _total: int, _name: str) -> None:
        if done == 1:
            raise Stop()

    with pytest.raises(Stop):
        engine.encode(image, progress=stop_at_second)
    again = engine.encode(image)  # the engine is unharmed, and no hook is left behind
    assert torch.equal(again.features, full.features)
    assert all(not b._forward_pre_hooks for b in engine.sam.image_encoder.blocks)


def test_embed_file_progress_names_the_image(engine, image_folder):
    """The one Progress shape (samic_core.jobs): done, total, the item's name."""
    seen: list[tuple[int, int, str]] = []
    engine.embed_file(image_folder / "b.png", progress=lambda d, t, n: seen.append((d, t, n)))
    assert seen and {n for _, _, n in seen} == {"b.png"}
    assert seen[-1][0] == seen[-1][1] > 0
