"""The pixel cue kept per folder: trained with the cue dropped on a share of the samples, then
kept only where the validation prompts score higher with it (train/cue_choice.py)."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from samic_core.errors import SamicError
from samic_core.model.build import build_samic
from samic_core.modelfile.file import load_model_file, save_model_file
from samic_core.modelfile.meta import ModelMeta, read_model_meta
from samic_core.peaks import PeakRule
from samic_core.train.cue_choice import choose_pixel_cue, drop_rng, without_pixel_cue
from samic_core.train.peak_fit import PeakFit

S = 64


def _heat(b: int) -> torch.Tensor:
    heat = torch.zeros(b, S, S)
    heat[:, 20:28, 30:40] = 1.0
    return heat


def _trained_cue_net():
    """A cued net whose cue is not a no-op (its last conv no longer zero)."""
    torch.manual_seed(0)
    net, identity = build_samic("resnet50", weights="none", image_size=S, pixel_cue=True)
    last = net.learner.pixel_cue.mix[-1]
    torch.nn.init.normal_(last.weight, std=0.05)
    return net.eval(), identity


def test_dropped_samples_run_as_without_the_cue_and_only_in_training() -> None:
    net, _ = _trained_cue_net()
    torch.manual_seed(1)
    target = torch.rand(1, 3, S, S).repeat(16, 1, 1, 1)
    reference = torch.rand(1, 3, S, S).repeat(16, 1, 1, 1)
    ft, fr = net.extract(target), net.extract(reference)
    with torch.no_grad():
        with_cue, _ = net.forward_parts(ft, fr, _heat(16))
        with without_pixel_cue(net):
            plain, _ = net.forward_parts(ft, fr, _heat(16))
            # lists made inside match those cached outside (a full feature cache mixes them)
            assert len(net.extract(target[:1])) == len(ft)
        assert net.pixel_cue_on  # back after the block
        assert not torch.allclose(with_cue[0], plain[0])
        net.pixel_cue_drop = 0.5
        assert torch.equal(net.forward_parts(ft, fr, _heat(16))[0], with_cue)  # eval: never
        net.train()
        dropped, _ = net.forward_parts(ft, fr, _heat(16))
    same_as_plain = [torch.allclose(d, plain[0], atol=1e-6) for d in dropped]
    same_as_cued = [torch.allclose(d, with_cue[0], atol=1e-6) for d in dropped]
    assert all(a != b for a, b in zip(same_as_plain, same_as_cued, strict=True))
    assert 2 <= sum(same_as_plain) <= 14  # about half of 16 (binomial: 1 in 1,000 outside)
    with torch.no_grad():  # the trainer's generator: the drops are a function of (seed, epoch)
        runs = []
        for epoch in (1, 1, 2):
            net.pixel_cue_rng = drop_rng(0, epoch, torch.device("cpu"))
            runs.append(net.forward_parts(ft, fr, _heat(16))[0])
    assert torch.equal(runs[0], runs[1]) and not torch.equal(runs[0], runs[2])


def _meta(net, identity) -> ModelMeta:
    return ModelMeta(
        classes=("disc",), backbone=identity.name, backbone_weights=identity.weights,
        backbone_sha256=identity.sha256, image_size=S, output="sigmoid", support_resize="max",
        learnable_params=sum(p.numel() for p in net.learner.parameters()), pixel_cue=True,
        config={"pixel_cue": True, "pixel_cue_drop": 0.5},
    )  # fmt: skip


def _fit(score: float) -> PeakFit:
    return PeakFit(PeakRule(), 1.0, 1.0, float("nan"), 5, 3, score)


@pytest.mark.parametrize(("without", "kept"), [(0.4, True), (0.5, False), (0.6, False)])
def test_the_cue_stays_only_where_it_scores_higher(tmp_path, without, kept) -> None:
    net, identity = _trained_cue_net()
    weights = {k: v.clone() for k, v in net.learner.state_dict().items()}
    meta = _meta(net, identity)
    seen: list[bool] = []

    def score() -> PeakFit:
        seen.append(not net.pixel_cue_on)  # scored without the cue
        return _fit(without)

    chosen = choose_pixel_cue(net, weights, _fit(0.5), meta, score)
    assert chosen is not None and seen == [True]
    new_weights, fit, new_meta = chosen
    assert new_meta.pixel_cue is kept and (net.learner.pixel_cue is not None) is kept
    assert new_meta.config["pixel_cue_kept"] is kept
    assert new_meta.pixel_cue_scores == (0.5, without)
    assert fit.score == (0.5 if kept else without)
    assert any(k.startswith("pixel_cue.") for k in new_weights) is kept
    assert new_weights.keys() == net.learner.state_dict().keys()
    assert new_meta.learnable_params == sum(p.numel() for p in net.learner.parameters())
    save_model_file(tmp_path / "m.pt", net, new_meta)
    loaded, loaded_meta = load_model_file(tmp_path / "m.pt", "cpu")
    assert (loaded.learner.pixel_cue is not None) is kept and loaded_meta.pixel_cue is kept
    torch.manual_seed(2)
    x, r = torch.rand(2, 3, S, S), torch.rand(2, 3, S, S)
    with torch.no_grad():  # the saved model predicts what the chosen network did
        assert torch.allclose(loaded(x, r, _heat(2)), net(x, r, _heat(2)), atol=1e-6)


def test_no_score_without_the_cue_keeps_everything() -> None:
    net, identity = _trained_cue_net()
    weights = net.learner.state_dict()
    assert choose_pixel_cue(net, weights, _fit(0.5), _meta(net, identity), lambda: None) is None
    assert net.learner.pixel_cue is not None


def test_a_run_with_the_drop_records_its_choice_and_saves_what_it_chose(
    tmp_path, tiny_train_config, capsys
) -> None:
    from samic_core.cli.main import main
    from samic_core.testing.samic_task import write_synthetic_folder
    from samic_core.train.trainer import train

    folder = tmp_path / "f"
    write_synthetic_folder(folder, 10, size=64, seed=3)
    out = tmp_path / "m.pt"
    cfg = tiny_train_config(folder, out, epochs=1, schedule="auto", val_fraction=0.4,
                            pixel_cue=True, time_limit=0)  # fmt: skip
    result = train(cfg)
    meta = read_model_meta(out)
    assert meta.config["pixel_cue_drop"] == 0.5  # the auto schedule's share
    kept = meta.config["pixel_cue_kept"]
    assert meta.pixel_cue is kept
    with_it, without = meta.pixel_cue_scores  # rounded to 4 places: a tie there can go either way
    assert with_it >= without if kept else with_it <= without
    net, _ = load_model_file(out, "cpu")
    assert (net.learner.pixel_cue is not None) is kept
    assert read_model_meta(result.last_path).pixel_cue  # the .last file keeps it for a resume
    assert main(["model-info", "--model", str(out)]) == 0
    shown = "pixel cue yes, kept (validation score" if kept else "pixel cue no, removed ("
    assert shown in capsys.readouterr().out
    again = train(dataclasses.replace(cfg, out=tmp_path / "c.pt", epochs=2,
                                      resume=result.last_path, pixel_cue_drop=None))  # fmt: skip
    assert read_model_meta(again.last_path).config["pixel_cue_drop"] == 0.5  # kept on resume


def test_the_drop_follows_the_schedule_unless_asked_and_bad_shares_are_refused(
    tmp_path, tiny_train_config
) -> None:
    from samic_core.train.run_checks import with_schedule_defaults
    from samic_core.train.schedule import SCHEDULES
    from samic_core.train.trainer import train

    for name, share in (("auto", 0.5), ("paper", 0.0)):
        cfg = tiny_train_config(tmp_path, tmp_path / "m.pt", schedule=name, pixel_cue=True)
        assert with_schedule_defaults(cfg, SCHEDULES[name]).pixel_cue_drop == share
        always = with_schedule_defaults(dataclasses.replace(cfg, pixel_cue_drop=0.0),
                                        SCHEDULES[name])  # fmt: skip
        assert always.pixel_cue and always.pixel_cue_drop == 0.0
        off = with_schedule_defaults(dataclasses.replace(cfg, pixel_cue=False), SCHEDULES[name])
        assert not off.pixel_cue and off.pixel_cue_drop == 0.0  # nothing to drop
    from samic_core.train.run_checks import as_resumed

    meta = _meta(*build_samic("resnet50", weights="none", image_size=S, pixel_cue=True))
    asked = tiny_train_config(tmp_path, tmp_path / "m.pt", schedule="auto",
                              pixel_cue_drop=0.3)  # fmt: skip  # the cue left to the file
    filled = with_schedule_defaults(asked, SCHEDULES["auto"])
    resumed = as_resumed(filled, asked, meta)
    assert resumed.pixel_cue and resumed.pixel_cue_drop == 0.3  # what was asked, not the 0
    plain = as_resumed(filled, dataclasses.replace(asked, pixel_cue_drop=None), meta)
    assert plain.pixel_cue_drop == 0.5  # the file's
    no_cue = dataclasses.replace(meta, pixel_cue=False)
    assert as_resumed(filled, asked, no_cue).pixel_cue_drop == 0.0  # nothing to drop
    for bad in (-0.1, 1.0):
        with pytest.raises(SamicError, match="pixel cue drop must be"):
            train(dataclasses.replace(cfg, pixel_cue_drop=bad))


def test_jitter_follows_the_schedule_and_a_resumed_run_keeps_what_it_started_with(
    tmp_path, tiny_train_config
) -> None:
    """Scale/colour variants are on under `auto` and off under `paper` unless asked; a resumed
    run keeps the file's unless asked (docs/model.md, "The pixel cue by default")."""
    from samic_core.train.run_checks import as_resumed, with_schedule_defaults
    from samic_core.train.schedule import SCHEDULES

    for name, on in (("auto", True), ("paper", False)):
        cfg = tiny_train_config(tmp_path, tmp_path / "m.pt", schedule=name)
        assert with_schedule_defaults(cfg, SCHEDULES[name]).jitter is on
        asked = dataclasses.replace(cfg, jitter=not on)
        assert with_schedule_defaults(asked, SCHEDULES[name]).jitter is (not on)
    no_cue = tiny_train_config(tmp_path, tmp_path / "m.pt", schedule="auto", pixel_cue=False)
    assert not with_schedule_defaults(no_cue, SCHEDULES["auto"]).jitter  # measured with the cue
    meta = _meta(*build_samic("resnet50", weights="none", image_size=S, pixel_cue=True))
    started = dataclasses.replace(meta, config={**meta.config, "jitter": False})
    asked = tiny_train_config(tmp_path, tmp_path / "m.pt", schedule="auto")
    filled = with_schedule_defaults(asked, SCHEDULES["auto"])
    assert filled.jitter and not as_resumed(filled, asked, started).jitter  # the file's
    yes = dataclasses.replace(asked, jitter=True)
    assert as_resumed(with_schedule_defaults(yes, SCHEDULES["auto"]), yes, started).jitter


@pytest.mark.parametrize(
    ("entry", "value"),
    [("pixel_cue_drop", 1.0), ("pixel_cue_drop", "0.5"), ("pixel_cue_score_with", float("nan")),
     ("pixel_cue_score_without", 2.0), ("pixel_cue_kept", "yes")],
)  # fmt: skip
def test_a_file_with_a_bad_choice_entry_is_refused_by_name(entry, value) -> None:
    from samic_core.errors import CheckpointError

    net, identity = build_samic("resnet50", weights="none", image_size=S, pixel_cue=True)
    data = _meta(net, identity).to_dict()
    data["config"] = {**data["config"], entry: value}
    with pytest.raises(CheckpointError, match=f"entry '{entry}'"):
        ModelMeta.from_dict(data, None)
