"""Fixtures for the SAMIC tests: small annotated folders built with the real AnnotationStore."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from samic_core.annotation import AnnotatedObject, AnnotationStore, ImageAnnotation, Point
from samic_core.annotation.masks import instances_from_masks
from samic_core.fileio import sha256_file
from samic_core.testing import make_blob_image


def _save_annotation(
    folder: Path, name: str, objects: list[tuple[str, list[tuple[float, float]], str, bool]]
) -> None:
    """Write blobs image `name` and its annotation; objects are (label, points, source, reviewed).

    Each object's mask is a disc of radius 8 around its first point.
    """
    path = folder / name
    blobs = [(int(pts[0][0]), int(pts[0][1]), 8) for _, pts, _, _ in objects]
    rgb = make_blob_image(96, 128, blobs, seed=len(name))
    folder.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    objs, masks = [], []
    for i, (label, pts, source, reviewed) in enumerate(objects, start=1):
        objs.append(
            AnnotatedObject(
                id=i,
                label=label,
                points=[Point(x=x, y=y) for x, y in pts],
                source=source,
                reviewed=reviewed,
            )
        )
        m = np.zeros((96, 128), np.uint8)
        cv2.circle(m, (int(pts[0][0]), int(pts[0][1])), 8, 1, -1)
        masks.append((i, m.astype(bool)))
    ann = ImageAnnotation(
        image=name, image_sha256=sha256_file(path), width=128, height=96, objects=objs
    )
    AnnotationStore(folder).save(ann, instances_from_masks(masks, (96, 128)))


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Run SAMIC tests on one thread: the CPU numbers (and training paths) are repeatable, and
    a busy or shared machine cannot oversubscribe its cores (which made training ~50x slower)."""
    with one_thread():
        yield


@contextmanager
def one_thread() -> Iterator[None]:
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(old)


@pytest.fixture
def save_annotation():
    """The helper that writes one annotated blobs image (see _save_annotation)."""
    return _save_annotation


@pytest.fixture
def mixed_folder(tmp_path: Path) -> Path:
    """5 annotated images of 'cell' and 'dot' with every kind of object, and one plain image."""
    f = tmp_path / "mixed"
    _save_annotation(f, "a.png", [("cell", [(20, 20), (22, 24)], "manual", True),
                                 ("dot", [(90, 60)], "manual", True)])  # fmt: skip
    _save_annotation(f, "b.png", [("cell", [(40, 30)], "predicted", True),
                                 ("cell", [(100, 70)], "predicted", False)])  # fmt: skip
    _save_annotation(f, "c.png", [("cell", [(60, 50)], "predicted", False)])  # not trusted
    _save_annotation(f, "d.png", [("cell", [(30, 60)], "manual", True)])
    _save_annotation(f, "e.png", [("dot", [(50, 50)], "manual", True),
                                 ("cell", [(80, 40)], "manual", True)])  # fmt: skip
    cv2.imwrite(str(f / "plain.png"), np.zeros((10, 10, 3), np.uint8))
    return f


@pytest.fixture(scope="session")
def synthetic_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Eight annotated 64 x 64 images of the synthetic disc task."""
    from samic_core.testing.samic_task import write_synthetic_folder

    folder = tmp_path_factory.mktemp("synthetic") / "images"
    write_synthetic_folder(folder, 8, size=64, seed=5)
    return folder


@pytest.fixture(scope="session")
def tiny_train_config():
    """Builds a TrainConfig small enough for CPU tests: tiny_train_config(folder, out, **kw)."""
    return tiny_config


@pytest.fixture(scope="session")
def trained_model(synthetic_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained for two epochs at 64 px on the synthetic folder (random backbone)."""
    from samic_core.train.trainer import train

    out = tmp_path_factory.mktemp("model") / "model.pt"
    with one_thread():  # session fixtures are set up before the autouse one above
        train(tiny_config(synthetic_folder, out, epochs=2))
    return out


def tiny_config(folder: Path, out: Path, **kw):
    """A TrainConfig small enough for CPU tests: the paper schedule's short epochs (the mechanics
    under test do not depend on the schedule; test_schedule.py and test_learning.py cover auto)."""
    from samic_core.train.trainer import TrainConfig

    base = dict(
        image_size=64, device="cpu", backbone_weights="none", batch_size=4, val_fraction=0.25,
        schedule="paper",
    )  # fmt: skip
    base.update(kw)
    return TrainConfig(folder, out, **base)
