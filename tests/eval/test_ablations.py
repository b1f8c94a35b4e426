"""Table 5 / 6 ablation switches: squeeze depth and loss terms, recorded in the model file."""

from __future__ import annotations

import pytest
import torch

from samic_core.cli.main import main
from samic_core.errors import SamicError
from samic_core.loss_terms import DEFAULT_TERMS, LOSS_TERMS, parse_loss_terms
from samic_core.model.build import build_learner, build_samic
from samic_core.modelfile.file import ModelMeta, load_model_file, read_model_meta
from samic_core.testing.samic_task import write_synthetic_folder
from samic_core.train.episodes import scan_folder, split_by_image, train_episodes
from samic_core.train.features import EpisodeTensors, FeatureBank
from samic_core.train.schedule import resolve_schedule
from samic_core.train.trainer import TrainConfig, batch_loss, train


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("abl") / "images"
    write_synthetic_folder(out, 4, size=64, seed=2)
    return out


def _conv_layers(block: torch.nn.Module) -> int:
    return sum(type(m).__name__ == "CenterPivotConv4d" for m in block.children())


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_squeeze_depth_sets_the_layers_and_keeps_the_shapes(depth):
    learner = build_learner("resnet50", depth)
    assert [_conv_layers(b) for b in (learner.encoder_layer4, learner.encoder_layer2)] == [
        depth,
        depth,
    ]
    pyramid = [torch.randn(1, 3, 2, 2, 2, 2), torch.randn(1, 6, 4, 4, 4, 4)]
    pyramid.append(torch.randn(1, 4, 8, 8, 8, 8))  # the 64 x 64 input's levels
    with torch.no_grad():
        assert learner(pyramid).shape == (1, 1, 16, 16)
    params = [sum(p.numel() for p in build_learner("resnet50", d).parameters()) for d in (1, 3)]
    assert params[0] < params[1] == 2_573_217


def test_cli_switches_are_recorded_and_read_back(folder, tmp_path, capsys):
    out = tmp_path / "m.pt"
    args = ["train", str(folder), "--out", str(out), "--epochs", "1", "--image-size", "64"]
    args += ["--backbone-weights", "none", "--device", "cpu", "--val-fraction", "0"]
    assert main([*args, "--squeeze-depth", "2", "--loss-terms", "nss,kld"]) == 0
    meta = read_model_meta(out)
    assert meta.squeeze_depth == 2 and meta.loss_terms == ("kld", "nss")
    net, meta2 = load_model_file(out, "cpu")
    assert meta2 == meta and _conv_layers(net.learner.encoder_layer3) == 2
    capsys.readouterr()
    assert main(["model-info", "--model", str(out)]) == 0
    info = capsys.readouterr().out
    assert "squeeze depth 2; loss terms kld+nss" in info and "learner, squeeze depth 2" in info
    assert f"{meta.learnable_params:,}" in info
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--loss-terms", "kld,dice", "--overwrite"])
    assert exit_info.value.code == 2 and "--loss-terms" in capsys.readouterr().err


def test_only_the_chosen_terms_are_optimised(folder):
    images = scan_folder(folder)
    split = split_by_image(images, 0.0, seed=0)
    net, _ = build_samic("resnet50", weights="none", image_size=64)
    tensors = EpisodeTensors(images, 64)
    bank = FeatureBank(net, tensors, torch.device("cpu"), enabled=True)
    episodes = train_episodes(images, split, seed=0, epoch=1, flips=False)[:2]
    with torch.no_grad():
        loss, terms = batch_loss(net, episodes, tensors, bank, ("nss",))
        assert loss.item() == pytest.approx(terms["nss"], abs=1e-5)
        assert terms["kld"] > 0.05  # still logged, not optimised
        loss, terms = batch_loss(net, episodes, tensors, bank, ("kld", "cc"))
        assert loss.item() == pytest.approx(terms["kld"] + terms["cc"], abs=1e-5)
        loss, terms = batch_loss(net, episodes, tensors, bank)
        assert loss.item() == pytest.approx(sum(terms.values()), abs=1e-5)
    with pytest.raises(SamicError, match="loss terms"):
        train(TrainConfig(folder, "unused.pt", loss_terms=("dice",)))


def test_old_model_files_read_as_the_paper_model():
    d = dict(
        classes=["a"], backbone="resnet50", backbone_weights="none", backbone_sha256="0" * 64,
        image_size=64, output="sigmoid", support_resize="max", learnable_params=1,
    )  # fmt: skip
    meta = ModelMeta.from_dict(d, None)  # type: ignore[arg-type]
    assert meta.squeeze_depth == 3 and meta.loss_terms == ("kld", "cc", "nss")


def _tiny(folder, out, **kw) -> TrainConfig:
    kw = {"epochs": 1, "image_size": 64, "backbone_weights": "none", "device": "cpu", **kw}
    return TrainConfig(folder, out, val_fraction=0.0, schedule="paper", **kw)


def test_loss_terms_replace_the_schedules_and_are_recorded(folder, tmp_path, capsys):
    """--loss-terms (BCE included) replaces the schedule's terms; without it the schedule's are
    recorded; the history logs the paper's three terms always and BCE when it is on."""
    chosen = train(_tiny(folder, tmp_path / "c.pt", loss_terms=("bce", "nss")))
    meta = read_model_meta(chosen.best_path)
    assert meta.loss_terms == ("nss", "bce") and meta.config["schedule"] == "paper"
    assert {"kld", "cc", "nss", "bce"} <= set(chosen.history[-1])
    plain = train(_tiny(folder, tmp_path / "p.pt"))
    assert read_model_meta(plain.best_path).loss_terms == ("kld", "cc", "nss")
    assert "bce" not in plain.history[-1]
    capsys.readouterr()
    assert main(["model-info", "--model", str(plain.best_path)]) == 0
    assert "schedule paper; squeeze depth 3; loss terms kld+cc+nss" in capsys.readouterr().out
    with pytest.raises(SamicError, match="loss_terms"):  # resume with the schedule's terms
        train(_tiny(folder, tmp_path / "c.pt", epochs=2, resume=chosen.last_path))
    resumed = train(
        _tiny(
            folder, tmp_path / "c.pt", epochs=2, resume=chosen.last_path, loss_terms=("nss", "bce")
        )
    )
    assert resumed.epochs_run == 2


def test_files_without_recorded_terms_read_as_their_schedules_terms():
    base = dict(
        classes=["a"], backbone="resnet50", backbone_weights="none", backbone_sha256="0" * 64,
        image_size=64, output="sigmoid", support_resize="max", learnable_params=1,
    )  # fmt: skip
    auto = ModelMeta.from_dict({**base, "config": {"schedule": "auto"}}, None)  # type: ignore[arg-type]
    assert auto.loss_terms == ("kld", "cc", "nss", "bce") and auto.squeeze_depth == 3
    paper = ModelMeta.from_dict({**base, "config": {"schedule": "paper"}}, None)  # type: ignore[arg-type]
    assert paper.loss_terms == ("kld", "cc", "nss")
    again = ModelMeta.from_dict(auto.to_dict(), None)  # type: ignore[arg-type]
    assert again == auto


def test_loss_term_vocabulary_is_shared():
    assert resolve_schedule("auto").loss_terms == DEFAULT_TERMS
    assert set(DEFAULT_TERMS) < set(LOSS_TERMS)  # `hard` is offered, not a default
    assert resolve_schedule("auto", loss_terms=["nss", "kld"]).loss_terms == ("kld", "nss")
    assert resolve_schedule("paper", 3, ("bce",)).patience == 3
    assert parse_loss_terms(" nss, bce,kld ") == ("kld", "nss", "bce")
    for bad in ("kld,dice", "", " , "):
        with pytest.raises(ValueError, match="loss terms must be"):
            parse_loss_terms(bad)
