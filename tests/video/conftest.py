"""Fixtures for the video tests: a tiny SAMIC model (random backbone, 64 x 64) for SAM 1's
frame-to-frame tracking."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def trained_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SAMIC model trained for 1 epoch on a synthetic disc folder (random backbone)."""
    from samic_core.testing.samic_task import write_synthetic_folder
    from samic_core.train.trainer import TrainConfig, train

    folder = tmp_path_factory.mktemp("video_train") / "discs"
    write_synthetic_folder(folder, 4, size=64, seed=3)
    out = tmp_path_factory.mktemp("video_model") / "discs.samic"
    train(TrainConfig(folder, out, epochs=1, image_size=64, backbone_weights="none",
                      device="cpu", schedule="paper"))  # fmt: skip
    return out
