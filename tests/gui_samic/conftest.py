"""Fixtures for the SAMIC-in-the-app tests: synthetic annotated folders, the tiny random SAM,
and a tiny SAMIC model (random backbone, 64 x 64 input) trained once per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import pytest

from samic_core.annotation import AnnotatedObject, AnnotationStore, ImageAnnotation, Point
from samic_core.annotation.masks import instances_from_masks
from samic_core.fileio import sha256_file
from samic_core.testing.samic_task import (
    TARGET_LABEL,
    SyntheticImage,
    make_synthetic_image,
    write_synthetic_folder,
)

TINY_SIZE = 64  # SAMIC input size: the smallest the model allows
WAIT_MS = 60_000
IMAGE_PX = 64  # synthetic images are IMAGE_PX x IMAGE_PX


def add_unannotated(folder: Path, names: list[str], seed: int = 7) -> list[SyntheticImage]:
    """Write synthetic images without annotations (the ones auto-annotate should fill)."""
    out = []
    for i, name in enumerate(names):
        im = make_synthetic_image(IMAGE_PX, seed * 1000 + i)
        cv2.imwrite(str(folder / name), cv2.cvtColor(im.rgb, cv2.COLOR_RGB2BGR))
        out.append(im)
    return out


def write_predicted(folder: Path, name: str, im: SyntheticImage, scores: list[float]) -> None:
    """A predicted, unreviewed annotation of `name`: one object per target, these SAM scores."""
    store = AnnotationStore(folder)
    objects = [
        AnnotatedObject(
            id=k + 1,
            label=TARGET_LABEL,
            points=[Point(x=float(x), y=float(y))],
            score=score,
            source="predicted",
            reviewed=False,
        )
        for k, ((x, y), score) in enumerate(zip(im.points, scores, strict=False))
    ]
    ann = ImageAnnotation(
        image=name,
        image_sha256=sha256_file(folder / name),
        width=IMAGE_PX,
        height=IMAGE_PX,
        objects=objects,
    )
    masks = [(k + 1, m) for k, m in enumerate(im.masks[: len(objects)])]
    store.save(ann, instances_from_masks(masks, (IMAGE_PX, IMAGE_PX)))


@pytest.fixture
def annotated_folder(tmp_path: Path) -> Path:
    """4 hand-annotated images of class 'disc' (img_000 … img_003) and 2 without annotations."""
    folder = tmp_path / "discs"
    write_synthetic_folder(folder, 4, size=IMAGE_PX, seed=1)
    add_unannotated(folder, ["new_000.png", "new_001.png"])
    return folder


@pytest.fixture(scope="session")
def sam_engine(tiny_sam_checkpoint: Path):
    """The real SamEngine on the tiny random SAM (no disk cache)."""
    from samic_core.sam.engine import SamEngine

    return SamEngine(tiny_sam_checkpoint, device="cpu")


@pytest.fixture(scope="session")
def tiny_samic_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SAMIC model trained for 2 epochs on a synthetic folder (random backbone)."""
    from samic_core.train.trainer import TrainConfig, train

    folder = tmp_path_factory.mktemp("train") / "discs"
    write_synthetic_folder(folder, 4, size=IMAGE_PX, seed=2)
    out = tmp_path_factory.mktemp("models") / "tiny.samic"
    result = train(
        TrainConfig(
            folder, out, epochs=2, image_size=TINY_SIZE, backbone_weights="none", device="cpu"
        )
    )
    assert result.best_path == out
    return out


@pytest.fixture
def samic_service(qtbot, sam_engine) -> Iterator:
    from sambox.services.samic_service import SamicService

    service = SamicService(engine=lambda: sam_engine)
    yield service
    service.shutdown()


@pytest.fixture
def settings(tmp_path: Path, tiny_sam_checkpoint: Path):
    """App settings in a per-test ini file, pointing at the tiny SAM on the CPU."""
    from sambox.settings import AppSettings

    s = AppSettings.from_file(tmp_path / "sambox.ini")
    s.checkpoint = tiny_sam_checkpoint
    s.device = "cpu"
    s.cache_dir = tmp_path / "embeddings"
    return s


def open_window(qtbot, settings, folder: Path):
    """The real app window (build_window) with the tiny SAM loaded and `folder` open."""
    from sambox.app import build_window

    window = build_window(settings)
    qtbot.addWidget(window)
    window.resize(1100, 750)
    window.show()
    with qtbot.waitSignal(window.service.engine_ready, timeout=WAIT_MS):
        window.session.start_engine()
    window.session.open_folder(folder)
    return window


@pytest.fixture
def review_folder(annotated_folder: Path) -> tuple[Path, dict[str, SyntheticImage]]:
    """annotated_folder plus pred_a.png (scores 0.9, 0.6) and pred_b.png (0.8): predicted files."""
    images = dict(
        zip(
            ["pred_a.png", "pred_b.png"],
            add_unannotated(annotated_folder, ["pred_a.png", "pred_b.png"], seed=11),
            strict=True,
        )
    )
    write_predicted(annotated_folder, "pred_a.png", images["pred_a.png"], [0.9, 0.6])
    write_predicted(annotated_folder, "pred_b.png", images["pred_b.png"], [0.8])
    return annotated_folder, images
