"""Erased copies: a class's objects painted out of a training image make an empty target."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from samic_core.annotation import AnnotationStore
from samic_core.train.episodes import MASK_SIDE, scan_folder, split_by_image, train_episodes
from samic_core.train.erase import erase, gate_episodes, with_erased
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


@pytest.fixture
def done_folder(mixed_folder: Path) -> Path:
    """The mixed folder with every image marked done (only finished images get copies)."""
    store = AnnotationStore(mixed_folder)
    for path in store.images():
        if store.exists(path.name):
            loaded = store.load(path.name)
            store.save(loaded.annotation.model_copy(update={"done": True}), loaded.instances)
    return mixed_folder


def test_masks_are_kept_only_where_every_object_of_the_class_has_one(done_folder: Path) -> None:
    mixed_folder = done_folder
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
    loaded = store.load("b.png")
    store.save(loaded.annotation.model_copy(update={"done": False}), loaded.instances)
    b = {im.name: im for im in scan_folder(mixed_folder, masks=True)}["b.png"]
    assert not b.masks  # not finished: objects may be missing from the annotation, no copy


def test_erased_copies_train_the_gate_only_and_leave_the_map_episodes_alone(
    done_folder: Path,
) -> None:
    mixed_folder = done_folder
    images = scan_folder(mixed_folder, masks=True)
    split = split_by_image(images, 0.25, seed=0)
    all_images, erased = with_erased(images, split)
    copies = all_images[len(images) :]
    assert erased == list(range(len(images), len(all_images)))
    assert len(copies) == sum(len(im.masks) for im in split.train)  # training images' only
    for copy in copies:
        assert copy.points == {} and copy.empty_of == (copy.erased,)
    # the map's episodes are the same with and without copies
    plain = train_episodes(images, split, seed=0, epoch=1, flips=True)
    assert train_episodes(all_images, split, seed=0, epoch=1, flips=True) == plain
    steps = 3
    gate = gate_episodes(all_images, erased, split, 0, 1, True, 2, steps)
    assert len(gate) == steps
    flat = [e for part in gate for e in part]
    assert {e.target for e in flat} == set(erased)  # every copy is a target...
    train_idx = {all_images.index(im) for im in split.train}
    assert {e.reference for e in flat} <= train_idx  # ...of a training reference
    assert gate_episodes(all_images, erased, split, 0, 1, True, 2, steps) == gate  # seeded
    tensors = EpisodeTensors(all_images, 64)
    i = erased[0]
    j = all_images.index(next(im for im in images if copies[0].name.startswith(im.name + " ")))
    assert not torch.equal(tensors.pixels[i], tensors.pixels[j])
    assert tensors.heatmap(i, copies[0].erased, (False, False)).max() == 0


def test_training_with_erased_copies_changes_the_gates_loss_not_the_maps(
    tmp_path: Path, done_folder: Path, tiny_train_config
) -> None:
    mixed_folder = done_folder
    from samic_core.train.trainer import train

    runs = {
        erase: train(
            tiny_train_config(
                mixed_folder,
                tmp_path / f"{erase}.pt",
                epochs=2,
                presence=True,
                erase=erase,
                val_fraction=0.0,
            )
        ).history  # fmt: skip
        for erase in (False, True)
    }
    for a, b in zip(runs[False], runs[True], strict=True):
        for term in ("kld", "cc", "nss"):
            assert a[term] == pytest.approx(b[term], rel=1e-5)  # the map learns the same
        assert a["presence"] != pytest.approx(b["presence"], rel=1e-3)  # the gate sees copies


def test_kept_deficits_of_gate_only_pairs_give_the_same_loss_and_gradients(
    done_folder: Path,
) -> None:
    """The erased copies' evidence comes from frozen features: kept per pair, the gate's loss
    and its gradients are those of computing it again, and a pair drawn again is not recomputed."""
    from samic_core.model.build import build_samic
    from samic_core.train.features import FeatureBank
    from samic_core.train.step import batch_loss

    images = scan_folder(done_folder, masks=True)
    split = split_by_image(images, 0.25, seed=0)
    all_images, erased = with_erased(images, split)
    gate = [e for part in gate_episodes(all_images, erased, split, 0, 1, True, 2, 1) for e in part]
    episodes = train_episodes(all_images, split, seed=0, epoch=1, flips=True)[:2]
    torch.manual_seed(0)
    net, _ = build_samic("resnet50", weights="none", image_size=64, presence=True)
    tensors = EpisodeTensors(all_images, 64)
    bank = FeatureBank(net, tensors, torch.device("cpu"), True, 2**30)
    results = []
    kept: dict = {}
    for deficits in (None, kept, kept):  # fresh; filling the store; from the store
        net.zero_grad()
        loss, terms = batch_loss(net, episodes, tensors, bank, ("bce",), gate, deficits)
        loss.backward()
        grads = [p.grad.clone() for p in net.learner.gate_parameters()]
        results.append((terms["presence"], grads))
    assert len(kept) == len(set(gate))
    for presence, grads in results[1:]:
        assert presence == pytest.approx(results[0][0], rel=1e-6)
        for g, g0 in zip(grads, results[0][1], strict=True):
            assert torch.allclose(g, g0, rtol=1e-5, atol=1e-7)
    calls = []
    original = net.evidence_deficit
    net.evidence_deficit = lambda *a: calls.append(1) or original(*a)  # type: ignore[method-assign]
    batch_loss(net, episodes, tensors, bank, ("bce",), gate, kept)
    assert len(calls) == 1  # the map's own batch only: no gate-only pair computed again
