"""SAMIC learns: after a short CPU training on the synthetic disc task (random backbone, 96 px),
predicted points land inside target discs far more often than before training and than chance.

Measured when this test was written (16 training images, 50 epochs = 200 steps, one thread, 20
new images, 3-shot, data seeds 1-3, sigmoid head): share of predicted points inside a target
0.10 before training and 0.97-1.00 after; chance (target area share) 0.108; share of targets
hit 0.04 before and 0.67-0.82 after. With the default `auto` schedule capped at 13 epochs,
default `nms` peaks at floor 0.1, data seed 1: precision 0.10 -> 0.94, recall 0.88 before flips
were on by default; now (flips, presence gate, erased copies) precision 0.10 -> 1.00, recall
0.67 (0.69 without the gate: 13 epochs with flips learn less), and 10 new images without a disc
all get no prompt. The thresholds below leave a wide margin.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from samic_core.annotation import AnnotationStore
from samic_core.fileio import read_image_rgb
from samic_core.model.build import build_samic
from samic_core.predict.predictor import SamicPredictor
from samic_core.predict.references import select_references
from samic_core.testing.samic_task import (
    SyntheticImage,
    make_synthetic_image,
    points_inside_rate,
    write_synthetic_folder,
)
from samic_core.train.trainer import TrainConfig, train

SIZE = 96


def point_scores(predictor: SamicPredictor, images: list[SyntheticImage]) -> tuple[float, float]:
    """(share of predicted points inside a target, share of targets with a point inside)."""
    inside = total = hit = targets = 0
    for im in images:
        pts = np.array([[p.x, p.y] for p in predictor.peaks(im.rgb)]).reshape(-1, 2)
        a, b = points_inside_rate(pts, im.target_mask)
        inside, total = inside + a, total + b
        for mask in im.masks:
            hit += points_inside_rate(pts, mask)[0] > 0
        targets += len(im.masks)
    return inside / max(total, 1), hit / targets


@pytest.mark.slow  # ~200 optimizer steps; 36 steps at 64 px did not move the heat (0.094 -> 0.097)
def test_training_makes_points_land_on_targets(tmp_path: Path) -> None:
    folder = tmp_path / "train"
    write_synthetic_folder(folder, 16, size=SIZE, seed=1)
    new_images = [make_synthetic_image(SIZE, 10_000 + i) for i in range(20)]
    chance = float(np.mean([im.target_mask.mean() for im in new_images]))
    refs = select_references(AnnotationStore(folder), "disc", k=3)
    ref_images = [read_image_rgb(p) for p, _ in refs]
    ref_points = [pts for _, pts in refs]

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        untrained, _ = build_samic("resnet50", weights="none", image_size=SIZE)
    before = SamicPredictor(untrained)
    before.set_references(ref_images, ref_points)
    precision_before, _ = point_scores(before, new_images)

    # the default (auto) schedule, capped: 13 epochs of 16 steps ~ the old 50 epochs' 200 steps
    config = TrainConfig(folder, tmp_path / "model.pt", epochs=13, image_size=SIZE,
                         device="cpu", backbone_weights="none", val_fraction=0.0)  # fmt: skip
    result = train(config)
    assert result.history[-1]["train_loss"] < 0.75 * result.history[0]["train_loss"]
    after = SamicPredictor.from_file(result.last_path, "cpu")
    after.set_references(ref_images, ref_points)
    precision_after, recall_after = point_scores(after, new_images)

    assert 0.05 < chance < 0.2
    assert precision_before < 0.4
    assert precision_after > 0.6
    assert precision_after > precision_before + 0.4
    assert precision_after > 4 * chance
    assert recall_after > 0.5  # measured 0.67 (0.88 before flips were on by default)
    # The folder has no image without discs (erased copies give the presence gate its empty
    # targets): new images without a disc must get no prompt.
    empty = [make_synthetic_image(SIZE, 20_000 + i, targets=False) for i in range(10)]
    clean = np.mean([not after.peaks(im.rgb) for im in empty])
    assert clean >= 0.6  # measured 1.00 (also 1.00 without the gate: this task is easy there)
    print(f"precision {precision_before:.2f} -> {precision_after:.2f}, recall {recall_after:.2f}, "
          f"empty images without a prompt {clean:.2f}")  # fmt: skip


@pytest.mark.slow  # a 16-image training at 224 px: 6-25 minutes on 2 cores
@pytest.mark.timeout(3600)  # 40 epochs whatever the machine: past the suite's 600 s default
def test_training_tells_the_object_from_lookalikes_of_another_colour(tmp_path: Path) -> None:
    """The task suite's `colour` family, seed 0: targets among look-alikes of the same shape and
    texture in another colour, trained with the defaults for 40 epochs whatever the machine's
    speed (no time limit). The suite's numbers for this family are in docs/model.md ("Tasks
    it was not tuned for"); the thresholds leave a margin below them."""
    from samic_core.testing.suite import score_task, write_task

    torch.set_num_threads(2)
    write_task("colour", tmp_path, seed=0)
    out = tmp_path / "model.pt"
    cfg = TrainConfig(folder=tmp_path / "train", out=out, device="cpu", backbone_weights="none",
                      seed=0, epochs=40, time_limit=0)  # fmt: skip
    train(cfg)
    scores = score_task(SamicPredictor.from_file(out, "cpu"), tmp_path, {"model": None}, 0, 5)
    model, copy = scores["model"], scores["copy"]
    assert model.recall >= 0.65 and model.precision >= 0.85, model.row()
    assert model.oracle_iou >= 3 * copy.oracle_iou, (model.row(), copy.row())
    assert model.empty_clean >= 0.75, model.row()
