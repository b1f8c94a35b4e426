"""The auto-annotation pipeline (samic_core/predict/pipeline.py): same annotations as the
one-image path, every class in one pass, bounded read-ahead, cancel, bad files, stage errors."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from samic_core.annotation import AnnotationStore
from samic_core.model.transforms import image_to_tensor
from samic_core.peaks import PeakRule
from samic_core.predict import pipeline, writer
from samic_core.predict.autoannotate import annotate_image, auto_annotate_classes
from samic_core.predict.pipeline import class_jobs
from samic_core.predict.predictor import ReferenceSet, SamicPredictor
from samic_core.predict.saving import save_found
from samic_core.sam.engine import SamEngine
from samic_core.sam.types import MaskResult
from samic_core.testing.samic_task import make_synthetic_image

LOW = PeakRule("nms", threshold=0.2, floor=0.0)  # a 2-epoch model: several peaks per image


@pytest.fixture(scope="module")
def predictor(trained_model: Path) -> SamicPredictor:
    return SamicPredictor.from_file(trained_model, "cpu")


@pytest.fixture(scope="module")
def sets(predictor: SamicPredictor) -> dict[str, ReferenceSet]:
    """Two 'classes' for the one-class test model: the discs, and a background corner."""
    ims = [make_synthetic_image(80, 100 + i) for i in range(3)]
    disc = predictor.encode_references([im.rgb for im in ims[:2]], [im.points for im in ims[:2]])
    corner = np.array([[4.0, 4.0]])
    spot = predictor.encode_references([ims[2].rgb], [corner], object_radius=0.05)
    return {"disc": disc, "spot": spot}


@pytest.fixture
def engine(tiny_sam_checkpoint: Path) -> SamEngine:
    return SamEngine(tiny_sam_checkpoint, "vit_b", "cpu")


def _folder(path: Path, n: int) -> list[Path]:
    path.mkdir(parents=True)
    for i in range(n):
        rgb = make_synthetic_image(96, 600 + i).rgb
        cv2.imwrite(str(path / f"im{i}.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return sorted(path.glob("*.png"))


def _saved(folder: Path) -> dict[str, tuple[list, np.ndarray]]:
    store = AnnotationStore(folder)
    out = {}
    for p in sorted(folder.glob("*.png")):
        if store.exists(p.name):
            loaded = store.load(p.name)
            objs = [(o.id, o.label, [(q.x, q.y) for q in o.points], round(o.score, 4))
                    for o in loaded.annotation.objects]  # fmt: skip
            out[p.name] = (objs, loaded.instances)
    return out


def _assert_same(got: dict, want: dict, exact: bool) -> None:
    """Saved annotations equal; not `exact`: batched matmuls round differently, so the same
    objects with points within 0.01 px, scores within 1e-3, and < 1 % of mask pixels apart."""
    assert got.keys() == want.keys()
    for name, (objs, inst) in want.items():
        if exact:
            assert got[name][0] == objs, name
            np.testing.assert_array_equal(got[name][1], inst)
            continue
        assert [o[:2] for o in got[name][0]] == [o[:2] for o in objs], name
        for (*_, pts, score), (*_, pts0, score0) in zip(got[name][0], objs, strict=True):
            np.testing.assert_allclose(pts, pts0, atol=0.01)
            assert score == pytest.approx(score0, abs=1e-3)
        assert np.mean(got[name][1] != inst) < 0.01, name


@pytest.mark.parametrize("max_pairs", [64, 4])  # 4: one target (3 pairs) per learner pass
def test_class_heatmaps_batched_over_targets_and_classes_equal_one_at_a_time(
    predictor: SamicPredictor, sets: dict[str, ReferenceSet], monkeypatch, max_pairs: int
) -> None:
    from samic_core.predict import predictor as predictor_module

    monkeypatch.setattr(predictor_module, "MAX_PAIRS", max_pairs)
    targets = torch.stack(
        [image_to_tensor(make_synthetic_image(96, 700 + i).rgb, 64) for i in range(3)]
    )  # (3, 3, 64, 64)
    together = predictor.class_heatmaps_torch(targets, list(sets.values()))
    assert [m.shape for m in together] == [(3, 2, 64, 64), (3, 1, 64, 64)]
    for i in range(3):
        for c, refs in enumerate(sets.values()):
            (alone,) = predictor.class_heatmaps_torch(targets[i : i + 1], [refs])
            torch.testing.assert_close(together[c][i], alone[0], atol=1e-5, rtol=1e-4)


def test_pipeline_writes_what_the_one_image_path_writes(
    predictor, sets, engine, tmp_path: Path
) -> None:
    """Every class in one pass, 1 or 3 images per batch: the same annotations as annotate_image
    one image at a time (the Ray path's unit)."""
    images = _folder(tmp_path / "one", 5)
    store = AnnotationStore(tmp_path / "one")
    jobs = class_jobs(predictor, sets, LOW)
    for p in images:
        annotate_image(predictor, engine, p, store, jobs)
    expected = _saved(tmp_path / "one")
    # (this 2-epoch model finds the same object for both classes; the later class's mask wins)
    assert any(objs for objs, _ in expected.values()), "nothing found: the comparison is empty"
    for batch_size in (1, 3):
        folder = tmp_path / f"batch{batch_size}"
        shutil.copytree(tmp_path / "one", folder, ignore=shutil.ignore_patterns("annotations"))
        seen: list[tuple[int, int, str]] = []
        reports = auto_annotate_classes(
            predictor, engine, sorted(folder.glob("*.png")), AnnotationStore(folder), sets,
            lambda d, t, n, seen=seen: seen.append((d, t, n)), rule=LOW, batch_size=batch_size,
        )  # fmt: skip
        assert seen == [(i + 1, 5, f"im{i}.png") for i in range(5)]
        got = _saved(folder)
        assert got.keys() == expected.keys()
        _assert_same(got, expected, exact=batch_size == 1)  # batch 1: the same computation
        for label, report in reports.items():
            assert len(report.written) + len(report.empty) == 5, label
            assert report.seconds > 0 and not report.cancelled
        assert reports["disc"].first_write_s is not None


def test_cancel_saves_the_images_already_predicted_and_stops(
    predictor, sets, engine, tmp_path: Path
) -> None:
    images = _folder(tmp_path / "f", 6)
    polls = []

    def should_stop() -> bool:
        polls.append(1)
        return len(polls) > 2  # two batches of 2 run, then Cancel

    reports = auto_annotate_classes(
        predictor, engine, images, AnnotationStore(tmp_path / "f"), sets,
        should_stop=should_stop, rule=LOW, batch_size=2,
    )  # fmt: skip
    r = reports["disc"]
    assert r.cancelled and len(r.written) + len(r.empty) == 4
    assert not any(t.name.startswith("samic-") for t in threading.enumerate())


def test_a_corrupt_image_fails_alone_and_protected_images_are_not_read(
    predictor, sets, engine, tmp_path: Path, save_annotation, monkeypatch
) -> None:
    folder = tmp_path / "f"
    _folder(folder, 3)
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    save_annotation(folder, "manual.png", [("disc", [(20, 20)], "manual", True)])
    read = []
    real_read = pipeline.read_image_rgb
    monkeypatch.setattr(pipeline, "read_image_rgb", lambda p: read.append(p.name) or real_read(p))
    reports = auto_annotate_classes(
        predictor, engine, sorted(folder.glob("*.png")), AnnotationStore(folder), sets,
        rule=LOW, batch_size=2,
    )  # fmt: skip
    for r in reports.values():
        assert [name for name, _ in r.failed] == ["broken.png"]
        assert r.skipped_protected == ["manual.png"]
        assert len(r.written) + len(r.empty) == 3
    assert "broken.png" in reports["disc"].failed[0][1]
    assert "manual.png" not in read


def test_read_ahead_is_bounded(predictor, sets, engine, tmp_path: Path, monkeypatch) -> None:
    """Loaders stay at most 2 * batch + loaders images ahead of the images already predicted."""
    images = _folder(tmp_path / "f", 10)
    loaded: list[str] = []
    predicted: list[str] = []
    ahead: list[int] = []
    real_load, real_find = pipeline.load_image, pipeline.find_objects

    def load(path, *a, **k):
        loaded.append(path.name)
        ahead.append(len(loaded) - len(predicted))
        return real_load(path, *a, **k)

    def find(predictor, engine, batch, *a, **k):
        out = real_find(predictor, engine, batch, *a, **k)
        predicted.extend(b.path.name for b in batch)
        return out

    monkeypatch.setattr(pipeline, "load_image", load)
    monkeypatch.setattr(pipeline, "find_objects", find)
    auto_annotate_classes(predictor, engine, images, AnnotationStore(tmp_path / "f"), sets,
                          rule=LOW, batch_size=1, loaders=2)  # fmt: skip
    assert sorted(loaded) == sorted(p.name for p in images)
    assert max(ahead) <= 2 * 1 + 2 + 1


@pytest.mark.parametrize("stage", ["find_objects", "save_found"])
def test_an_error_in_a_stage_stops_the_run_and_is_raised(
    predictor, sets, engine, tmp_path: Path, monkeypatch, stage: str
) -> None:
    images = _folder(tmp_path / "f", 6)
    calls = []
    module = pipeline if stage == "find_objects" else writer
    real = getattr(module, stage)

    def failing(*a, **k):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError(f"{stage} broke (e.g. CUDA out of memory)")
        return real(*a, **k)

    monkeypatch.setattr(module, stage, failing)
    with pytest.raises(RuntimeError, match="broke"):
        auto_annotate_classes(predictor, engine, images, AnnotationStore(tmp_path / "f"), sets,
                              rule=LOW, batch_size=1)  # fmt: skip
    assert len(calls) < 6
    assert not any(t.name.startswith("samic-") for t in threading.enumerate())


def _found(mask_box: tuple[int, int, int, int], score: float) -> tuple[np.ndarray, MaskResult]:
    y0, y1, x0, x1 = mask_box
    mask = np.zeros((96, 128), bool)
    mask[y0:y1, x0:x1] = True
    point = np.array([[(x0 + x1) / 2, (y0 + y1) / 2]])
    return point, MaskResult(mask, score, np.zeros((1, 256, 256), np.float32), 0, np.array([score]))


def test_save_found_writes_every_class_in_one_save_and_replaces_only_their_predictions(
    tmp_path: Path, save_annotation
) -> None:
    folder = tmp_path / "f"
    save_annotation(folder, "a.png", [("disc", [(10, 10)], "predicted", False),
                                      ("cell", [(80, 60)], "predicted", False),
                                      ("other", [(50, 80)], "predicted", False)])  # fmt: skip
    store = AnnotationStore(folder)
    saves = []
    real_save = store.save
    store.save = lambda *a, **k: saves.append(1) or real_save(*a, **k)  # type: ignore[method-assign]
    found = {"disc": [_found((20, 30, 20, 30), 0.9), _found((40, 50, 40, 50), 0.8)],
             "spot": [_found((60, 70, 20, 30), 0.7)], "cell": []}  # fmt: skip
    outcomes = save_found(store, folder / "a.png", found, "tiny", (96, 128))
    assert [(o.status, o.objects) for o in outcomes] == [("written", 2), ("written", 1),
                                                         ("empty", 0)]  # fmt: skip
    assert len(saves) == 1
    loaded = store.load("a.png")
    objs = loaded.annotation.objects
    assert sorted(o.label for o in objs) == ["disc", "disc", "other", "spot"]  # old cell dropped
    assert {o.id for o in objs} == set(np.unique(loaded.instances).tolist()) - {0}
    # nothing found for any class, and none of theirs saved: nothing is written
    assert [o.status for o in save_found(store, folder / "a.png", {"cell": []}, "tiny",
                                         (96, 128))] == ["empty"]  # fmt: skip
    assert len(saves) == 1


def test_out_of_device_memory_halves_the_batch_and_goes_on(
    predictor, sets, engine, tmp_path: Path, monkeypatch
) -> None:
    images = _folder(tmp_path / "f", 7)
    sizes: list[int] = []
    real = pipeline.find_objects

    def small_device(predictor, engine, batch, *a, **k):
        sizes.append(len(batch))
        if len(batch) > 2:
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        return real(predictor, engine, batch, *a, **k)

    monkeypatch.setattr(pipeline, "find_objects", small_device)
    reports = auto_annotate_classes(predictor, engine, images, AnnotationStore(tmp_path / "f"),
                                    sets, rule=LOW, batch_size=4)  # fmt: skip
    assert sizes[:3] == [4, 2, 2] and max(sizes[3:]) <= 2
    assert len(reports["disc"].written) + len(reports["disc"].empty) == 7


def test_the_pipeline_writes_what_one_class_after_another_wrote(
    predictor, sets, engine, tmp_path: Path
) -> None:
    """The reference: each class in turn through the predictor's own peaks (`suggest_objects`)
    and its own save, as auto-annotation worked before the pipeline."""
    from samic_core.predict.autoannotate import suggest_objects

    images = _folder(tmp_path / "old", 4)
    store = AnnotationStore(tmp_path / "old")
    for label, refs in sets.items():
        predictor.use(refs)
        for p in images:
            found = suggest_objects(predictor, engine, p, label, rule=LOW)
            save_found(store, p, {label: found}, engine.model_id, (96, 96))
    shutil.copytree(
        tmp_path / "old", tmp_path / "new", ignore=shutil.ignore_patterns("annotations")
    )
    new = sorted((tmp_path / "new").glob("*.png"))
    auto_annotate_classes(predictor, engine, new, AnnotationStore(tmp_path / "new"), sets,
                          rule=LOW)  # fmt: skip
    old = _saved(tmp_path / "old")
    assert old
    _assert_same(_saved(tmp_path / "new"), old, exact=False)  # 3 pairs a pass, not 2 then 1


def test_a_big_image_is_memory_mapped_and_embedded_from_its_overview_as_the_app_does(
    predictor, sets, engine, tmp_path: Path, monkeypatch
) -> None:
    """An image over RASTER_PIXELS is never decoded whole in the predicting process: it is
    memory-mapped (a tiled look keeps the map, not a copy) and SAM encodes its overview, so
    the cache entry is the one the app's `embed_file` makes and reads back."""
    from samic_core import raster
    from samic_core.predict.pipeline import Tiling, load_image
    from samic_core.sam.cache import EmbeddingCache

    monkeypatch.setattr(raster, "RASTER_PIXELS", 20_000)  # 200 x 200 is "big" here
    monkeypatch.setattr(raster, "OVERVIEW_SIDE", 100)
    folder = tmp_path / "big"
    folder.mkdir()
    rgb = cv2.resize(make_synthetic_image(96, 640).rgb, (200, 200), interpolation=cv2.INTER_LINEAR)
    path = folder / "big.png"
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))

    def whole_read(p: object, *a: object, **k: object) -> np.ndarray:
        raise AssertionError(f"{p} was decoded whole in this process")

    monkeypatch.setattr(pipeline, "read_image_rgb", whole_read)
    monkeypatch.setattr(raster, "read_image_rgb", whole_read)
    store = AnnotationStore(folder)
    loaded = load_image(path, store, engine, predictor.image_size)
    assert loaded.status == "" and loaded.hw == (200, 200) and loaded.pixels is None
    sha = engine.image_sha256(path)
    overview = raster.open_raster(path, sha, pipeline.rasters_dir()).overview
    assert overview.shape == (100, 100, 3)
    want = engine.prepare_overview(overview, (200, 200), sha, path.name)
    np.testing.assert_array_equal(loaded.encoder_input.pixels, want.pixels)
    assert loaded.encoder_input.original_size == (200, 200)
    tiled = load_image(path, store, engine, predictor.image_size, tiling=Tiling(64, 128))
    assert isinstance(tiled.pixels, np.memmap) and tiled.sam_input is None
    np.testing.assert_array_equal(np.asarray(tiled.pixels), rgb)

    engine.cache = EmbeddingCache(tmp_path / "cache")
    auto_annotate_classes(predictor, engine, [path], store, sets, rule=LOW)
    assert engine.is_cached(path)
    emb, cached = engine.embed_file(path)
    fresh = engine.encode_batch([want])[0]
    assert cached
    torch.testing.assert_close(emb.features, fresh.features, atol=1e-4, rtol=1e-4)
