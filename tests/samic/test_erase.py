"""Erased copies: a class's objects painted out of a training image make an empty target."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch

from samic_core.annotation import AnnotationStore
from samic_core.train.episodes import MASK_SIDE, scan_folder, split_by_image, train_episodes
from samic_core.train.erase import erase, with_erased
from samic_core.train.features import EpisodeTensors


def test_erase_fills_the_object_from_its_surroundings() -> None:
    rgb = np.zeros((64, 64, 3), np.uint8)
    rgb[:] = (40, 120, 200)
    cv2.circle(rgb, (30, 34), 9, (250, 30, 30), -1)
    mask = np.zeros((64, 64), np.uint8)
    cv2.circle(mask, (30, 34), 9, 1, -1)
    image = torch.from_numpy(rgb).permute(2, 0, 1).float() / 255
    out = erase(image, cv2.resize(mask, (MASK_SIDE, MASK_SIDE)) > 0)
    assert out.shape == image.shape and out.dtype == torch.float32
    inside = out[:, 34, 30] * 255
    assert torch.allclose(inside, torch.tensor([40.0, 120.0, 200.0]), atol=3)  # no red left
    assert torch.equal(out[:, 2, 2], image[:, 2, 2])  # far from the object: untouched


def test_masks_are_kept_only_where_every_object_of_the_class_has_one(
    mixed_folder: Path, save_annotation
) -> None:
    images = {im.name: im for im in scan_folder(mixed_folder, masks=True)}
    a = images["a.png"]
    assert set(a.masks) == set(a.points) and a.masks["cell"].shape == (MASK_SIDE, MASK_SIDE)
    assert a.masks["cell"].any() and not a.masks["cell"].all()
    assert all(not im.masks for im in scan_folder(mixed_folder))  # not asked: none kept
    store = AnnotationStore(mixed_folder)
    loaded = store.load("a.png")
    objects = [o.id for o in loaded.annotation.objects if o.label == "cell"]
    without = np.where(loaded.instances == objects[0], 0, loaded.instances).astype(np.uint16)
    store.save(loaded.annotation, without)  # one cell object lost its mask
    a = {im.name: im for im in scan_folder(mixed_folder, masks=True)}["a.png"]
    assert "cell" not in a.masks  # a copy would keep that object: no copy


def test_erased_copies_stay_in_their_images_split_and_are_empty_targets(
    mixed_folder: Path,
) -> None:
    images = scan_folder(mixed_folder, masks=True)
    split = split_by_image(images, 0.25, seed=0)
    all_images, erased = with_erased(images, split)
    copies = all_images[len(images) :]
    assert len(copies) == sum(len(im.masks) for im in images)
    val_sources = {im.name for im in split.val}
    for copy in copies:
        source = copy.name.split(" without ")[0]
        in_val = copy in erased.val
        assert in_val == (source in val_sources) and (copy in erased.train) != in_val
        assert copy.points == {} and copy.empty_of == (copy.erased,)
    eps = train_episodes(all_images, erased, seed=0, epoch=1, flips=False)
    index = {im.name: i for i, im in enumerate(all_images)}
    erased_targets = {e.target for e in eps} & {index[c.name] for c in copies}
    assert erased_targets  # the copies are trained on as targets...
    assert not {e.reference for e in eps} & erased_targets  # ...never as references
    tensors = EpisodeTensors(all_images, 64)
    i = index[copies[0].name]
    j = index[copies[0].name.split(" without ")[0]]
    assert not torch.equal(tensors.pixels[i], tensors.pixels[j])
    assert tensors.heatmap(i, copies[0].erased, (False, False)).max() == 0
