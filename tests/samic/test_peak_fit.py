"""Fitting the peak rule on validation maps: weak but clean peaks get a low floor, false peaks
on empty targets keep it high, the fit starts strict and only loosens, and too few objects fit
nothing (training then stores the strict start)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from samic_core.peaks import PeakRule, find_peaks
from samic_core.train.peak_fit import FIT_BASE, FitSample, fit_peak_rule, stored_rule

S = 64
SIZE = (128, 128)


def _map(
    centres: list[tuple[float, float, float]], noise: float = 0.0, seed: int = 0
) -> np.ndarray:
    """(S, S) map with a Gaussian blob of height h at each (x, y, h) in map pixels."""
    yy, xx = np.mgrid[0:S, 0:S]
    heat = np.zeros((S, S), np.float32)
    for x, y, h in centres:
        heat = np.maximum(heat, h * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * 1.5**2)))
    rng = np.random.default_rng(seed)
    return np.clip(heat + noise * rng.random((S, S)), 0, 1).astype(np.float32)


def _trained(
    tmp_path: Path, images: int, seed: int, empty: float, name: str = "m.pt", **config: Any
) -> Path:
    """A tiny model (64 px, random backbone, CPU) trained on a `colour` family folder of
    `images` images (written once per test); `config` overrides TrainConfig's fields (1 epoch,
    no erased copies by default). Returns the best file, tmp_path / name."""
    from samic_core.testing.families import write_family
    from samic_core.train.trainer import TrainConfig, train

    if not (tmp_path / "f").is_dir():
        write_family("colour", tmp_path / "f", images, seed=seed, empty=empty)
    values = {"epochs": 1, "erase": False, **config}
    out = tmp_path / name
    train(TrainConfig(tmp_path / "f", out, image_size=64, device="cpu", backbone_weights="none",
                      val_fraction=0.3, **values))  # fmt: skip
    return out


def _sites(centres: list[tuple[float, float, float]]) -> np.ndarray:
    """Objects at the blobs' centres, in original pixels, radius 6 px."""
    scale = SIZE[0] / S
    return np.array(
        [[(x + 0.5) * scale - 0.5, (y + 0.5) * scale - 0.5, 6.0] for x, y, _ in centres]
    )


def test_many_weak_peaks_get_a_low_floor_and_threshold() -> None:
    """One strong object and many weak ones (a crowded map): the default rule finds one, the
    fitted rule finds them all without a false prompt."""
    samples = []
    for k in range(3):
        objs = [(10 + 14 * i, 12 + 16 * j, 0.06) for i in range(4) for j in range(3)]
        objs[0] = (objs[0][0], objs[0][1], 0.9)
        samples.append(FitSample(_map(objs, seed=k), SIZE, _sites(objs), 0.05))
    fit = fit_peak_rule(samples)
    assert fit is not None
    assert fit.recall == 1.0 and fit.precision == 1.0
    assert fit.rule.floor <= 0.05 and fit.rule.threshold <= 0.05
    default = [find_peaks(s.heat, s.size, PeakRule().with_object_radius(0.05)) for s in samples]
    assert [len(p) for p in default] == [1, 1, 1]  # the constant rule keeps the strong one only


def test_a_looser_rule_stops_above_false_peaks_on_empty_targets() -> None:
    """Weak objects (0.06) beside a strong one call for a lower floor; false peaks (0.04) on
    empty targets keep it above them."""
    objs = [(16, 16, 0.9), (44, 40, 0.06), (20, 48, 0.06)]
    samples = [FitSample(_map(objs, seed=k), SIZE, _sites(objs), 0.05) for k in range(3)]
    lookalike = [(30, 30, 0.04)]
    samples += [FitSample(_map(lookalike, seed=k), SIZE, np.zeros((0, 3)), 0.05) for k in range(3)]
    fit = fit_peak_rule(samples)
    assert fit is not None and fit.recall == 1.0 and fit.empty_clean == 1.0
    assert fit.rule.floor == 0.05 and fit.rule.threshold <= 0.05


def test_the_fit_keeps_its_strict_start_where_looser_rules_find_nothing_more() -> None:
    """Clear objects, and look-alikes (0.25) that a loose rule prompts on empty targets: every
    rule from the default (0.3/0.1) to the strict start finds both objects, and only the start
    keeps the look-alikes out. A fit that is never stricter than its start keeps the start."""
    objs = [(16, 16, 0.8), (44, 40, 0.7)]
    samples = [FitSample(_map(objs, seed=k), SIZE, _sites(objs), 0.05) for k in range(3)]
    lookalike = [(30, 30, 0.25)]
    samples += [FitSample(_map(lookalike, seed=k), SIZE, np.zeros((0, 3)), 0.05) for k in range(3)]
    fit = fit_peak_rule(samples)
    assert fit is not None and fit.rule == FIT_BASE and fit.empty_clean == 1.0
    assert fit.recall == 1.0 and fit.precision == 1.0
    assert FIT_BASE.floor > 0.25 > PeakRule().floor  # the default rule would prompt them
    loose = fit_peak_rule(samples, base=PeakRule())  # a start at the default stays there
    assert loose is not None and loose.rule == PeakRule() and loose.empty_clean == 0.0


def test_a_weak_object_loosens_the_strict_start_only_as_far_as_it_needs() -> None:
    """One object at 0.35 of the strongest peak: the strict start (half of it) drops it, the
    fit loosens the threshold to find it, and keeps the start's floor (nothing calls for a
    lower one)."""
    objs = [(16, 16, 0.9), (44, 40, 0.9 * 0.35)]
    samples = [FitSample(_map(objs, seed=k), SIZE, _sites(objs), 0.05) for k in range(3)]
    fit = fit_peak_rule(samples)
    assert fit is not None and fit.recall == 1.0 and fit.precision == 1.0
    assert fit.rule.threshold < FIT_BASE.threshold and fit.rule.threshold >= 0.3
    assert fit.rule.floor == 0.3  # at most 0.315, the weak object's height: the grid's 0.3


def test_too_few_validation_objects_fit_nothing_and_the_strict_start_is_stored() -> None:
    objs = [(16, 16, 0.8)]
    assert fit_peak_rule([FitSample(_map(objs), SIZE, _sites(objs), 0.05)]) is None
    assert stored_rule(None) == {"threshold": FIT_BASE.threshold, "floor": FIT_BASE.floor}


def test_training_fits_and_stores_the_rule_that_predict_and_model_info_use(
    tmp_path, capsys
) -> None:
    from samic_core.cli.main import main
    from samic_core.modelfile.meta import read_model_meta
    from samic_core.predict.predictor import SamicPredictor

    out = _trained(tmp_path, 10, seed=0, empty=0.2)
    fitted = read_model_meta(out).peak_rule
    assert fitted is not None and fitted["val_objects"] >= 5
    predictor = SamicPredictor.from_file(out, "cpu")
    assert predictor.default_rule == PeakRule(threshold=fitted["threshold"], floor=fitted["floor"])
    assert main(["model-info", "--model", str(out)]) == 0
    shown = f"threshold {fitted['threshold']:g}, floor {fitted['floor']:g}"
    assert shown in capsys.readouterr().out


def test_the_score_averages_f1_over_the_grid_so_it_moves_smoothly() -> None:
    """Objects a little below the default threshold: the default rule finds none, but the
    grid's mean F1 sees how close the map is; a map with the objects clear scores higher."""
    objs = [(16, 16, 0.9), (44, 40, 0.2), (20, 48, 0.2)]
    weak = [FitSample(_map(objs, seed=k), SIZE, _sites(objs), 0.05) for k in range(3)]
    strong_objs = [(x, y, 0.9) for x, y, _ in objs]
    strong = [FitSample(_map(strong_objs, seed=k), SIZE, _sites(objs), 0.05) for k in range(3)]
    w, s = fit_peak_rule(weak), fit_peak_rule(strong)
    assert w is not None and s is not None
    assert 0.0 < w.score < s.score <= 1.0
    assert s.score == 1.0  # every rule of the grid finds every object, no false peak


def test_the_score_keeps_the_grid_it_was_measured_on() -> None:
    """The epoch score averages over the rules at most 0.3/0.1 whatever the fit's start, so the
    epoch training keeps does not move with it: objects at 0.35 score 1 under every such rule,
    while stricter rules of today's grid (floor 0.4) miss them."""
    objs = [(16, 16, 0.35), (44, 40, 0.35)]
    samples = [FitSample(_map(objs, seed=k), SIZE, _sites(objs), 0.05) for k in range(3)]
    today, before = fit_peak_rule(samples), fit_peak_rule(samples, base=PeakRule())
    assert today is not None and before is not None
    assert today.score == before.score == 1.0
    assert today.rule.floor < 0.35  # the fit loosened below the start's 0.4 to find them


def test_training_with_too_few_validation_objects_stores_the_strict_start(
    tmp_path, capsys, monkeypatch
) -> None:
    """No fit (too few validation objects): a model trained with BCE still gets the strict
    start, which prediction uses and model-info names, not the older constant default."""
    from samic_core.cli.main import main
    from samic_core.modelfile.meta import read_model_meta
    from samic_core.predict.predictor import SamicPredictor
    from samic_core.train import peak_fit

    monkeypatch.setattr(peak_fit, "MIN_OBJECTS", 10_000)
    out = _trained(tmp_path, 8, seed=1, empty=0.0)
    assert read_model_meta(out).peak_rule == {"threshold": 0.5, "floor": 0.4}
    assert SamicPredictor.from_file(out, "cpu").default_rule == FIT_BASE
    assert main(["model-info", "--model", str(out)]) == 0
    assert "threshold 0.5, floor 0.4, the fit's strict start" in capsys.readouterr().out


def test_refit_on_a_kept_model_chooses_what_its_training_stored(tmp_path) -> None:
    """The suite's --refit reads the model's folder, seed and split from its file and takes
    the validation maps as training does, so today's fit on an unchanged model gives the rule
    and the validation scores its training stored."""
    from samic_core.modelfile.file import read_train_state
    from samic_core.modelfile.meta import read_model_meta
    from samic_core.testing.refit import refit_peak_rule, refit_rule

    out = _trained(tmp_path, 10, seed=0, empty=0.2, epochs=2)
    best = read_model_meta(out)
    fit = refit_peak_rule(out)
    stored, refit = best.peak_rule, stored_rule(fit)
    assert stored is not None and refit is not None and stored.keys() == refit.keys()
    for key, value in stored.items():
        assert value == pytest.approx(refit[key], nan_ok=True, abs=1e-4), key
    assert refit_rule(out) == PeakRule(threshold=stored["threshold"], floor=stored["floor"])
    # the score of the epoch it keeps: the same weights and maps
    state = read_train_state(out.with_name("m.last.pt"))
    assert state is not None and fit is not None
    history = {h["epoch"]: h for h in state["history"]}
    assert fit.score == pytest.approx(history[best.best_epoch]["val_score"], abs=1e-6)


def test_a_model_without_bce_stores_no_rule_and_model_info_names_the_paper_rule(
    tmp_path, capsys
) -> None:
    """Only BCE gives the output a floor that means "nothing": a model of the paper's loss
    stores no rule (not the strict start), predicts with the paper's rule, and says so."""
    from samic_core.cli.main import main
    from samic_core.modelfile.meta import read_model_meta
    from samic_core.predict.predictor import SamicPredictor

    out = _trained(tmp_path, 8, seed=1, empty=0.0, schedule="paper", erase=None)
    assert read_model_meta(out).peak_rule is None
    assert SamicPredictor.from_file(out, "cpu").default_rule == PeakRule.paper()
    assert main(["model-info", "--model", str(out)]) == 0
    assert "peaks: the paper's rule" in capsys.readouterr().out


def test_a_model_without_the_pixel_cue_starts_its_fit_at_the_default_rule(
    tmp_path, monkeypatch
) -> None:
    """The strict start was measured on models with the pixel cue; without it the fit starts
    from the default rule (at most 0.3/0.1), and with too few objects stores nothing."""
    from samic_core.modelfile.meta import read_model_meta
    from samic_core.train import peak_fit

    fitted = read_model_meta(_trained(tmp_path, 10, seed=0, empty=0.2, pixel_cue=False)).peak_rule
    assert fitted is not None and fitted["val_objects"] >= 5
    assert fitted["threshold"] <= 0.3 and fitted["floor"] <= 0.1
    monkeypatch.setattr(peak_fit, "MIN_OBJECTS", 10_000)
    few = _trained(tmp_path, 10, seed=0, empty=0.2, name="few.pt", pixel_cue=False)
    assert read_model_meta(few).peak_rule is None
