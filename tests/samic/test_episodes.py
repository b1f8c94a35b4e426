"""Training data from annotated folders: what counts, splits by image, episodes, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from samic_core.errors import SamicError
from samic_core.train.episodes import (
    MIN_IMAGES_PER_CLASS,
    check_enough,
    count_training_data,
    scan_folder,
    split_by_image,
    train_episodes,
    val_episodes,
)


def test_only_manual_and_reviewed_objects_count(mixed_folder: Path) -> None:
    assert count_training_data(mixed_folder) == {"cell": (4, 4), "dot": (2, 2)}
    images = {im.name: im for im in scan_folder(mixed_folder)}
    assert sorted(images) == ["a.png", "b.png", "d.png", "e.png"]  # c.png: unreviewed only
    # all positive points of all objects of the class, unreviewed prediction left out
    np.testing.assert_allclose(images["a.png"].points["cell"], [[20, 20], [22, 24]])
    np.testing.assert_allclose(images["b.png"].points["cell"], [[40, 30]])
    assert images["a.png"].size == (96, 128)
    assert sorted(im.name for im in scan_folder(mixed_folder, ["dot"])) == ["a.png", "e.png"]


def test_too_few_images_is_a_clear_error(tmp_path: Path, save_annotation) -> None:
    f = tmp_path / "few"
    save_annotation(f, "a.png", [("cell", [(20, 20)], "manual", True)])
    save_annotation(f, "b.png", [("cell", [(30, 20)], "predicted", False)])
    with pytest.raises(SamicError, match=f"'cell' has 1.*at least {MIN_IMAGES_PER_CLASS}"):
        check_enough(scan_folder(f), f)
    with pytest.raises(SamicError, match="no annotated objects"):
        check_enough([], f)


def test_split_is_by_image_and_keeps_every_class_trainable(mixed_folder: Path) -> None:
    images = scan_folder(mixed_folder)
    split = split_by_image(images, 0.5, seed=3)
    train, val = {i.name for i in split.train}, {i.name for i in split.val}
    assert not train & val and train | val == {i.name for i in images}
    for c in ("cell", "dot"):
        assert sum(c in i.points for i in split.train) >= MIN_IMAGES_PER_CLASS
    # 'dot' has only two images, so neither may leave training
    assert {"a.png", "e.png"} <= train
    assert split_by_image(images, 0.5, seed=3) == split
    assert split_by_image(images, 0.0, seed=3).val == []


def test_episodes_pair_images_of_the_same_class(mixed_folder: Path) -> None:
    images = scan_folder(mixed_folder)
    split = split_by_image(images, 0.25, seed=0)
    train_idx = {images.index(i) for i in split.train}
    eps = train_episodes(images, split, seed=0, epoch=1, flips=False)
    assert len(eps) == sum(len(images[i].points) for i in train_idx)
    for e in eps:
        assert e.target != e.reference
        assert {e.target, e.reference} <= train_idx
        assert e.class_name in images[e.target].points
        assert e.class_name in images[e.reference].points
        assert e.target_flip == e.reference_flip == (False, False)
    assert eps == train_episodes(images, split, seed=0, epoch=1, flips=False)
    flipped = train_episodes(images, split, seed=0, epoch=2, flips=True)
    assert any(e.target_flip != (False, False) for e in flipped)
    val = val_episodes(images, split, seed=0)
    assert {images[e.target].name for e in val} <= {i.name for i in split.val}
