"""Training runs: files, progress, repeatability, resume, cancel, the feature cache, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from samic_core.errors import CheckpointError, SamicError
from samic_core.model.build import build_samic
from samic_core.modelfile.file import (
    last_path_for,
    load_model_file,
    read_model_meta,
    read_train_state,
)
from samic_core.train.episodes import scan_folder, split_by_image, train_episodes
from samic_core.train.features import EpisodeTensors, FeatureBank
from samic_core.train.trainer import TrainProgress, batch_loss, train


def test_training_writes_best_and_last_with_metadata(trained_model: Path) -> None:
    last = last_path_for(trained_model)
    assert last.name == "model.last.pt" and last.is_file()
    meta = read_model_meta(trained_model)
    assert meta.classes == ("disc",)
    assert (meta.backbone, meta.backbone_weights, meta.image_size) == ("resnet50", "none", 64)
    assert len(meta.backbone_sha256) == 64 and meta.learnable_params == 2_573_217
    assert meta.config["backbone_weights"] == "none" and meta.created
    assert meta.train_loss is not None and meta.val_loss is not None
    assert read_train_state(trained_model) is None  # the best file holds no optimizer state
    state = read_train_state(last)
    assert state is not None and state["epoch"] == 2 and len(state["history"]) == 2
    net, meta2 = load_model_file(trained_model, "cpu")
    assert meta2 == meta and not net.training and net.image_size == 64


def test_progress_reaches_every_step_and_epoch(synthetic_folder, tiny_train_config, tmp_path):
    events: list[TrainProgress] = []
    result = train(tiny_train_config(synthetic_folder, tmp_path / "m.pt", epochs=2), events.append)
    steps = events[0].steps  # the paper schedule: one episode per training image
    assert steps == 2
    assert {(e.epoch, e.step) for e in events} == {(ep, s) for ep in (1, 2) for s in (1, 2)}
    assert events[-1].val_loss == result.history[-1]["val_loss"] is not None
    # the one (done, total, name) progress shape: steps of the whole run, up to the epoch limit
    assert {e.as_progress() for e in events} == {
        (1, 4, "epoch 1/2"), (2, 4, "epoch 1/2"), (3, 4, "epoch 2/2"), (4, 4, "epoch 2/2")
    }  # fmt: skip
    assert [e.done for e in events] == sorted(e.done for e in events)
    assert events[-1].as_progress() == (4, 4, "epoch 2/2")
    assert all(e.epochs == 2 and e.elapsed_s >= 0 for e in events)
    assert events[-1].best_loss == result.best_val_loss
    assert result.epochs_run == 2 and not result.cancelled
    assert [h["epoch"] for h in result.history] == [1, 2]


def test_fixed_seed_repeats_and_resume_continues_exactly(
    synthetic_folder, tiny_train_config, tmp_path
) -> None:
    full = train(tiny_train_config(synthetic_folder, tmp_path / "a.pt", epochs=3))
    again = train(tiny_train_config(synthetic_folder, tmp_path / "b.pt", epochs=3))
    assert [h["train_loss"] for h in full.history] == [h["train_loss"] for h in again.history]
    first = train(tiny_train_config(synthetic_folder, tmp_path / "c.pt", epochs=1))
    resumed = train(
        tiny_train_config(synthetic_folder, tmp_path / "c.pt", epochs=3, resume=first.last_path)
    )
    assert resumed.epochs_run == 3
    for h1, h2 in zip(full.history, resumed.history, strict=True):
        assert h1["train_loss"] == pytest.approx(h2["train_loss"], rel=1e-5)
        assert h1["val_loss"] == pytest.approx(h2["val_loss"], rel=1e-5)
    a = torch.load(full.last_path, weights_only=True)["state_dict"]
    c = torch.load(resumed.last_path, weights_only=True)["state_dict"]
    for k in a:
        torch.testing.assert_close(a[k], c[k], rtol=1e-4, atol=1e-6)
    with pytest.raises(SamicError, match="image_size"):
        train(tiny_train_config(synthetic_folder, tmp_path / "d.pt", image_size=96,
                                resume=first.last_path))  # fmt: skip
    with pytest.raises(SamicError, match="no training state"):
        train(tiny_train_config(synthetic_folder, tmp_path / "e.pt", resume=first.best_path))


def test_a_model_file_without_weights_is_a_clear_error_when_loaded_or_resumed(
    trained_model: Path, synthetic_folder, tiny_train_config, tmp_path
) -> None:
    """Training reads its --resume file through the one validated reader (no raw torch.load)."""
    data = torch.load(last_path_for(trained_model), weights_only=True)
    del data["state_dict"]
    broken = tmp_path / "broken.last.pt"
    torch.save(data, broken)
    with pytest.raises(CheckpointError, match="broken.last.pt.*no weights"):
        load_model_file(broken, "cpu")
    with pytest.raises(CheckpointError, match="no weights"):
        train(tiny_train_config(synthetic_folder, tmp_path / "f.pt", epochs=3, resume=broken))


def test_cancel_keeps_the_best_so_far(synthetic_folder, tiny_train_config, tmp_path) -> None:
    epochs_done: list[int] = []

    def progress(p: TrainProgress) -> None:
        if p.step == p.steps:  # sent after an epoch's last step, then again once it is saved
            epochs_done.append(p.epoch)

    result = train(
        tiny_train_config(synthetic_folder, tmp_path / "m.pt", epochs=50),
        progress,
        should_stop=lambda: epochs_done.count(1) >= 2,  # stop once epoch 1 is complete
    )
    assert result.cancelled and result.epochs_run == 1
    assert result.best_path is not None and result.best_path.is_file()
    assert read_model_meta(result.best_path).epochs_run == 1


def test_feature_cache_gives_the_same_loss(synthetic_folder) -> None:
    images = scan_folder(synthetic_folder)
    split = split_by_image(images, 0.0, seed=0)
    net, _ = build_samic("resnet50", weights="none", image_size=64)
    tensors = EpisodeTensors(images, 64, variants=4, seed=0)
    cached = FeatureBank(net, tensors, torch.device("cpu"), enabled=True)
    uncached = FeatureBank(net, tensors, torch.device("cpu"), enabled=False)
    for flips, variants in ((False, 1), (True, 1), (True, 4)):
        episodes = train_episodes(images, split, 0, 1, flips, variants=variants)[:4]
        assert variants == 1 or any(e.target_variant or e.reference_variant for e in episodes)
        for _ in range(2):  # the second pass reads the cache
            with torch.no_grad():
                a, terms_a = batch_loss(net, episodes, tensors, cached)
                b, terms_b = batch_loss(net, episodes, tensors, uncached)
            assert a.item() == b.item() and terms_a == terms_b
    assert cached.hits > 0 and uncached.hits == 0 and cached.nbytes > 0


def test_clear_errors(synthetic_folder, tiny_train_config, tmp_path, save_annotation) -> None:
    out = tmp_path / "m.pt"
    out.write_bytes(b"x")
    with pytest.raises(SamicError, match="already exists"):
        train(tiny_train_config(synthetic_folder, out))
    few = tmp_path / "few"
    save_annotation(few, "a.png", [("cell", [(20, 20)], "manual", True)])
    with pytest.raises(SamicError, match="at least 2 annotated images"):
        train(tiny_train_config(few, tmp_path / "n.pt"))
    with pytest.raises(SamicError, match="no training objects of classes"):
        train(tiny_train_config(synthetic_folder, tmp_path / "k.pt", classes=("nope",)))
