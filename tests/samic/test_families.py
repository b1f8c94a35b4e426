"""The task-family suite's generated folders: look-alikes in every image, one attribute apart,
clicks inside their objects, no target in the look-alike-only folder, seeds that differ."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from samic_core.annotation import AnnotationStore
from samic_core.testing.families import LOOKALIKE_FAMILIES, family_spec, make_family_image
from samic_core.testing.prompt_scores import point_instance_ids
from samic_core.testing.suite import FAMILIES, score_task, training_references, write_task

ATTRIBUTES = ("shape", "hue", "texture", "radius")


@pytest.mark.parametrize("family", ["shape", "colour", "texture", "size"])
def test_single_attribute_families_change_only_their_attribute(family: str) -> None:
    attribute = {"colour": "hue", "size": "radius"}.get(family, family)
    for seed in range(3):
        spec = family_spec(family, seed)
        for look in spec.lookalikes:
            differs = [a for a in ATTRIBUTES if getattr(look, a) != getattr(spec.target, a)]
            assert differs == [attribute], (seed, look)
    targets = {family_spec(family, seed).target for seed in range(6)}
    assert len(targets) > 1  # the seed draws the task, so nothing is tuned to one look


@pytest.mark.parametrize("family", LOOKALIKE_FAMILIES)
def test_images_hold_lookalikes_and_clicks_inside_disjoint_targets(family: str) -> None:
    spec = family_spec(family, 0)
    rng = np.random.default_rng(0)
    for with_targets in (True, True, False):
        im = make_family_image(spec, rng, with_targets)
        assert im.rgb.shape == (spec.size, spec.size, 3)
        assert (len(im.masks) > 0) == with_targets
        total = np.zeros((spec.size, spec.size), int)
        for mask, pts in zip(im.masks, im.points, strict=True):
            total += mask
            x, y = np.rint(pts[0]).astype(int)
            assert mask[y, x], "a click outside its object"
        assert total.max() <= 1, "instance masks overlap"
        # look-alikes are drawn: more coloured pixels than the targets cover
        saturated = np.ptp(im.rgb.astype(int), axis=2) > 60
        assert saturated.sum() > total.sum() + 50


def test_written_task_folders_and_the_copy_baseline(tmp_path: Path) -> None:
    write_task("colour", tmp_path, seed=1, n_train=4, n_test=3, n_alike=2)
    train, test, alike = (AnnotationStore(tmp_path / f) for f in ("train", "test", "alike"))
    assert len(train.images()) == 4 and len(test.images()) == 3 and len(alike.images()) == 2
    assert all(not alike.load(p.name).annotation.objects for p in alike.images())
    assert all(alike.load_json(p.name).done for p in alike.images())
    assert all(test.load(p.name).annotation.objects for p in test.images())
    refs = training_references(train, "target")
    assert refs and all(len(pts) for _, pts in refs)
    for path, pts in refs:  # every reference click is on one of its image's objects
        ids = point_instance_ids(pts, train.load(path.name).instances)
        assert (ids > 0).all()


def test_every_family_is_known_to_the_suite() -> None:
    assert set(LOOKALIKE_FAMILIES) < set(FAMILIES) and {"photo", "discs"} < set(FAMILIES)
    assert len(FAMILIES) >= 6


def test_photo_crops_have_many_instances(tmp_path: Path) -> None:
    pytest.importorskip("skimage")
    write_task("photo", tmp_path, seed=0, n_train=2, n_test=2)
    store = AnnotationStore(tmp_path / "test")
    counts = [len(store.load(p.name).annotation.objects) for p in store.images()]
    assert min(counts) >= 2


def test_score_task_scores_a_predictor(tmp_path: Path, trained_model: Path) -> None:
    """The suite's scoring runs a real model end to end and counts every image once."""
    from samic_core.predict.predictor import SamicPredictor

    write_task("shape", tmp_path, seed=0, n_train=4, n_test=2, n_alike=2)
    predictor = SamicPredictor.from_file(trained_model, "cpu")
    scores = score_task(predictor, tmp_path, {"model": None}, seed=0, shots=2)
    assert set(scores) == {"model", "copy"}
    assert scores["model"].images == 4 and scores["copy"].images == 4
    assert scores["model"].empty_images == 2
