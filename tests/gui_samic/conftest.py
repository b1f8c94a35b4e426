"""Fixtures for the SAMIC-in-the-app tests: synthetic annotated folders, the tiny random SAM,
and a tiny SAMIC model (random backbone, 64 x 64 input) trained once per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from samic_gui_helpers import IMAGE_PX, TINY_SIZE, add_unannotated, write_predicted

from samic_core.testing.samic_task import (
    SyntheticImage,
    write_synthetic_folder,
)


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
            folder,
            out,
            epochs=2,
            image_size=TINY_SIZE,
            backbone_weights="none",
            device="cpu",
            schedule="paper",
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
