"""SAMIC on big images: training tiles, tiled prediction, tiled SAM decodes in the pipeline."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from samic_core.annotation import AnnotationStore
from samic_core.annotation.masks import instances_from_masks
from samic_core.cli.main import main as samic
from samic_core.errors import CheckpointError
from samic_core.heatmap import Peak
from samic_core.modelfile.meta import ModelMeta, read_model_meta
from samic_core.peaks import PeakRule
from samic_core.predict.pipeline import Tiling, auto_annotate_classes
from samic_core.predict.predictor import SamicPredictor
from samic_core.predict.references import choose_references, encode_class_references
from samic_core.predict.tiled import combine_peaks, reference_crop, tiled_peaks
from samic_core.sam.cache import EmbeddingCache
from samic_core.sam.engine import SamEngine
from samic_core.sam.tiled import tile_key
from samic_core.testing.big_images import LABEL, BigSpec, make_big_image, write_big_folder
from samic_core.testing.model_files import plain_meta
from samic_core.tiles import TileGrid
from samic_core.tiles.spec import samic_tile_for_objects
from samic_core.train.episodes import draw_training_episodes, overlap, scan_folder, split_by_image
from samic_core.train.tiling import (
    MAX_OBJECT_TILES,
    object_diameters,
    tile_training_images,
    training_tile,
)
from samic_core.train.trainer import train

SPEC = BigSpec(height=600, width=800, diameter=(16, 24), targets=14, lookalikes=14, clutter=20)


@pytest.fixture(scope="module")
def big_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("big") / "train"
    write_big_folder(folder, SPEC, seed=1, indices=range(3))
    return folder


@pytest.fixture(scope="module")
def tiled_model(big_folder: Path, tmp_path_factory: pytest.TempPathFactory, tiny_train_config):
    out = tmp_path_factory.mktemp("tiled") / "model.samic"
    train(tiny_train_config(big_folder, out, epochs=1, tile=128))
    return out


# ---- training on tiles ------------------------------------------------------------------------
def test_training_tiles_hold_their_objects_in_their_own_frame(big_folder: Path):
    images = scan_folder(big_folder)
    assert training_tile("auto", images, 64) is None  # 800 px images: ordinary, never tiled
    side = samic_tile_for_objects(object_diameters(images), 64)  # ~13 px objects: 1/10 of it
    assert 96 <= side <= 224 and side % 32 == 0
    big = [replace(im, size=(3000, 4000)) for im in images]  # the same objects in big images
    assert training_tile("auto", big, 64) == side
    assert training_tile("off", big, 64) is None
    crowded = tile_training_images(images, side, seed=0)  # more tiles than the cap
    with_objects = [t for t in crowded if t.objects]
    assert len(with_objects) == MAX_OBJECT_TILES
    assert {t.name.split("@")[0] for t in with_objects} == {im.name for im in images}
    side = 256  # 12 tiles an image: under the cap, every object is in some tile
    tiles = tile_training_images(images, side, seed=0)
    assert tiles and all(t.crop is not None and t.size == (side, side) for t in tiles)
    by_name = {im.name: im for im in images}
    for t in tiles:
        source = by_name[t.name.split("@")[0]]
        y0, x0, y1, x1 = t.crop
        for c, sites in t.sites.items():
            assert ((sites[:, :2] >= 0) & (sites[:, :2] < side)).all()
            moved = sites[:, :2] + (x0, y0)  # back in the image: these are the image's objects
            assert all(np.min(np.hypot(*(source.sites[c][:, :2] - m).T)) < 1e-6 for m in moved)
            assert t.objects[c] == len(sites)
        if not t.objects:  # a tile of a finished image without objects: an empty target
            assert t.empty_of == (LABEL,)
    found = {(t.name.split("@")[0], round(x + t.crop[1]), round(y + t.crop[0]))
             for t in tiles for x, y in t.sites.get(LABEL, np.zeros((0, 3)))[:, :2]}  # fmt: skip
    total = sum(len(im.sites[LABEL]) for im in images)
    assert len(found) == total
    assert tile_training_images(images, 1024) == images  # no image bigger than a tile: unchanged


def test_a_model_trained_on_tiles_records_its_tile(tiled_model: Path):
    meta = read_model_meta(tiled_model)
    assert meta.tile == 128 and meta.config["tile"] == 128
    assert SamicPredictor.from_file(tiled_model, "cpu").tile == 128


def test_a_bad_tile_in_a_model_file_is_refused():
    meta = plain_meta(config={"schedule": "auto", "tile": 7})
    with pytest.raises(CheckpointError, match="tile"):
        ModelMeta.from_dict(meta, Path("m.samic"))
    ok = ModelMeta.from_dict(plain_meta(config={"schedule": "auto", "tile": "off"}), None)
    assert ok.tile is None


# ---- prediction in tiles ----------------------------------------------------------------------
def test_combine_peaks_thresholds_on_the_whole_image_and_merges_across_cuts():
    rule = PeakRule(threshold=0.3, floor=0.1, radius=0.05)  # 10 px in 200 px tiles
    peaks = [Peak(100, 100, 0.9, 1), Peak(104, 103, 0.8, 1),  # one object seen by two tiles
             Peak(400, 100, 0.25, 1),  # below 0.3 x the image's best: off, also alone in its tile
             Peak(300, 300, 0.5, 1)]  # fmt: skip
    kept = combine_peaks(peaks, rule, 200)
    assert [(p.x, p.y) for p in kept] == [(100, 100), (300, 300)]


def test_tiled_peaks_on_one_tile_equal_the_whole_image_peaks(tiled_model: Path, big_folder: Path):
    predictor = SamicPredictor.from_file(tiled_model, "cpu")
    store = AnnotationStore(big_folder)
    predictor.use(encode_class_references(predictor, store, LABEL, choose_references(store, LABEL)))
    image = make_big_image(SPEC, 1, 50).rgb[:400, :400]
    rule = predictor.rule_for(None)
    whole = predictor.peaks(image, rule)
    (tiled,) = tiled_peaks(
        predictor, image, TileGrid(400, 400, 400, 0), [predictor.references], [rule]
    )
    assert [(round(p.x, 3), round(p.y, 3)) for p in tiled] == [
        (round(p.x, 3), round(p.y, 3)) for p in whole
    ]
    seen: list[tuple[int, int]] = []  # a bigger image: progress after every batch of tiles
    grid = TileGrid(600, 800, 128, 32)
    tiled_peaks(predictor, make_big_image(SPEC, 1, 50).rgb, grid, [predictor.references], [rule],
                lambda done, total, _what: seen.append((done, total)))  # fmt: skip
    assert seen[-1] == (len(grid), len(grid)) and len(seen) == len(grid)  # a tile a pass on CPU


def test_references_of_a_tiled_model_are_cut_around_their_objects(tiled_model, big_folder):
    image = np.zeros((600, 800, 3), np.uint8)
    pts = np.array([[700.0, 500.0], [720.0, 520.0], [50.0, 50.0]])
    crop, moved = reference_crop(image, pts, 128)
    assert crop.shape == (128, 128, 3) and len(moved) == 2
    assert ((moved >= 0) & (moved < 128)).all()
    small, same = reference_crop(image[:100, :100], pts[:1], 128)
    assert small.shape == (100, 100, 3) and np.array_equal(same, pts[:1])
    predictor = SamicPredictor.from_file(tiled_model, "cpu")
    store = AnnotationStore(big_folder)
    refs = encode_class_references(predictor, store, LABEL, choose_references(store, LABEL, k=2))
    assert refs.k == 2 and refs.object_radius is not None
    assert 0.05 < refs.object_radius < 0.15  # ~10 px objects in 128 px tiles, not in 800 px


def test_big_references_are_memory_mapped_and_give_what_whole_reads_give(
    tiled_model, big_folder, monkeypatch
):
    from samic_core import raster
    from samic_core.predict import references

    predictor = SamicPredictor.from_file(tiled_model, "cpu")
    store = AnnotationStore(big_folder)
    chosen = choose_references(store, LABEL, k=2)
    whole = encode_class_references(predictor, store, LABEL, chosen)

    def whole_read(p: object, *a: object, **k: object) -> np.ndarray:
        raise AssertionError(f"{p} was decoded whole in this process")

    monkeypatch.setattr(raster, "RASTER_PIXELS", 100_000)  # 600 x 800 is "big" here
    monkeypatch.setattr(references, "read_image_rgb", whole_read)
    monkeypatch.setattr(raster, "read_image_rgb", whole_read)
    assert isinstance(references.reference_pixels(chosen[0][0]), np.memmap)
    mapped = encode_class_references(predictor, store, LABEL, chosen)
    assert mapped.k == whole.k and mapped.object_radius == whole.object_radius
    assert torch.equal(mapped.heat, whole.heat)
    for a, b in zip(mapped.feats, whole.feats, strict=True):
        assert torch.equal(a, b)


def test_the_pipeline_predicts_big_images_in_tiles_with_tiled_sam(
    tiled_model: Path, big_folder: Path, tiny_sam_checkpoint: Path, tmp_path: Path
):
    folder = tmp_path / "new"
    write_big_folder(folder, SPEC, seed=1, indices=range(60, 61), annotate=False)
    predictor = SamicPredictor.from_file(tiled_model, "cpu")
    refs = AnnotationStore(big_folder)
    sets = {LABEL: encode_class_references(predictor, refs, LABEL, choose_references(refs, LABEL))}
    cache = EmbeddingCache(tmp_path / "cache")
    engine = SamEngine(tiny_sam_checkpoint, "auto", "cpu", cache=cache)
    store = AnnotationStore(folder)
    rule = PeakRule(threshold=0.5, floor=0.0, max_peaks=1)  # an untrained model: a few prompts
    tiling = Tiling(256, 512, predictor.tile)  # SAMIC: 12 tiles (a SIZE beats the model's 128)
    images = sorted(folder.glob("*.png"))
    (report,) = auto_annotate_classes(predictor, engine, images, store, sets, rule=rule,
                                      tiling=tiling).values()  # fmt: skip
    assert report.failed == [] and report.written == ["big_060.png"]
    loaded = store.load("big_060.png")
    assert loaded.instances.shape == (600, 800)
    ids = set(np.unique(loaded.instances).tolist()) - {0}
    assert ids == {o.id for o in loaded.annotation.objects} and ids
    xs = [p.x for o in loaded.annotation.objects for p in o.points]
    assert max(xs) > 400 and min(xs) < 400  # prompts from tiles all over the image
    grid = TileGrid(600, 800, 512, 128)
    sha = engine.image_sha256(images[0])
    assert any(cache.contains(tile_key(sha, t), engine.model_id) for t in grid)
    assert not cache.contains(sha, engine.model_id)  # SAM never encoded the whole image


def test_placed_masks_paint_into_the_instance_map():
    a = np.ones((3, 4), bool)
    out = instances_from_masks([(1, a, (2, 5)), (2, np.ones((2, 2), bool), (-1, -1))], (8, 10))
    assert (out == 1).sum() == 12 and out[2:5, 5:9].min() == 1
    assert (out == 2).sum() == 1 and out[0, 0] == 2  # clipped at the border


# ---- the CLI ----------------------------------------------------------------------------------
def test_samic_embed_tile_caches_every_tile_once(tiny_sam_checkpoint: Path, tmp_path: Path, capsys):
    folder = tmp_path / "photos"
    write_big_folder(folder, SPEC, seed=2, indices=range(1), annotate=False)
    args = ["embed", str(folder), "--tile", "256", "--checkpoint", str(tiny_sam_checkpoint),
            "--device", "cpu"]  # fmt: skip
    assert samic(args) == 0
    first = capsys.readouterr().out
    assert first.startswith("1 encoded, 0 already cached")
    assert samic(args) == 0
    assert capsys.readouterr().out.startswith("0 encoded, 1 already cached")
    entries = list(Path(first.split("-> ")[1].strip()).glob("*/*/*.emb"))
    assert len(entries) == len(TileGrid(600, 800, 256, 64)) + 1  # and the whole image, for the app
    with pytest.raises(SystemExit) as bad:
        samic([*args[:2], "--tile", "big", *args[4:]])
    assert bad.value.code == 2
    assert "tile must be auto, off or a side" in capsys.readouterr().err


def test_tiles_of_one_image_stay_on_one_side_and_never_reference_their_overlap(big_folder: Path):
    images = tile_training_images(scan_folder(big_folder), 256, seed=0)
    split = split_by_image(images, 0.34, seed=0)
    train_from, val_from = {im.path for im in split.train}, {im.path for im in split.val}
    assert val_from and train_from and not train_from & val_from  # one image: one side
    everyone = list(range(len(images)))
    episodes = draw_training_episodes(images, everyone, everyone, np.random.default_rng(0))
    assert episodes
    for e in episodes:
        assert not overlap(images[e.target], images[e.reference])
    same_image = [e for e in episodes if images[e.target].path == images[e.reference].path]
    assert same_image  # tiles of one image that do not overlap may still pair up


def test_model_info_says_how_the_model_looks_at_big_images(tiled_model: Path):
    cmd = [sys.executable, "-m", "samic_core.cli.main", "model-info", str(tiled_model)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    assert "trained on 128 px tiles" in out


def test_the_split_counts_images_and_too_big_images_are_refused_before_predicting(
    big_folder: Path, tmp_path: Path, monkeypatch
):
    import samic_core.predict.pipeline as pipeline

    tiles = tile_training_images(scan_folder(big_folder), 256, seed=0)  # 3 images, 12 tiles each
    split = split_by_image(tiles, 0.2, seed=0)
    assert len({im.path for im in split.val}) == 1  # round(0.2 x 3 images) = 1 image's tiles
    monkeypatch.setattr(pipeline, "MAX_PIXELS", 100_000)
    loaded = pipeline.load_image(big_folder / "big_000.png", AnnotationStore(tmp_path), None, 64)  # type: ignore[arg-type]
    assert loaded.status == "failed" and "over the 0 MP an annotation holds" in loaded.error


def test_a_model_of_tiles_fits_its_peak_rule_on_the_validation_image_whole(
    big_folder: Path, synthetic_folder: Path, tmp_path: Path, tiny_train_config, monkeypatch
):
    """A model of tiles stores the rule fitted on its validation image whole, as prediction
    sees it (train/tile_fit.py), not the fit of its validation tiles (each thresholded against
    its own strongest peak); a model of whole images stores its epochs' fit, as before."""
    from samic_core.loss_terms import DEFAULT_TERMS
    from samic_core.train import tile_fit
    from samic_core.train import trainer as trainer_module
    from samic_core.train.peak_fit import PeakFit

    loose = PeakFit(PeakRule(threshold=0.15, floor=0.05), 0.9, 0.95, float("nan"), 20, 4, 0.5)
    monkeypatch.setattr(trainer_module._Trainer, "peak_score", lambda self, t, b: loose)
    monkeypatch.setattr(tile_fit, "MIN_OBJECTS", 5)  # 14 objects an image in this folder
    tiled = tmp_path / "tiled.samic"
    train(tiny_train_config(big_folder, tiled, epochs=1, tile=128, loss_terms=DEFAULT_TERMS))
    whole = tmp_path / "whole.samic"
    train(tiny_train_config(synthetic_folder, whole, epochs=1, loss_terms=DEFAULT_TERMS))
    fitted = read_model_meta(tiled).peak_rule
    assert fitted is not None and fitted["val_targets"] == 1  # one image, not the tiles' 4
    assert fitted["val_objects"] in {im.objects[LABEL] for im in scan_folder(big_folder)}
    assert read_model_meta(whole).peak_rule["threshold"] == 0.15
