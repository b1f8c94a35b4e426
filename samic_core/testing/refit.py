"""Fit a trained model's peak rule again on its own validation images, with today's fit.

The suite (scripts/bench_suite.py --refit) compares a change of the fit (train/peak_fit.py) on
models already trained, without training them again: the training run's folder, seed and split
are read from the model file, the validation targets' K-shot maps are taken as training takes
them at its end, and the fit chooses the rule. Models of whole images only (a model of tiles is
fitted on whole images, train/tile_fit.py).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from samic_core.errors import SamicError
from samic_core.modelfile.file import load_model_file
from samic_core.peaks import PeakRule
from samic_core.train.config import TrainConfig
from samic_core.train.features import EpisodeTensors, FeatureBank
from samic_core.train.folder_data import read_folder_data
from samic_core.train.peak_fit import PeakFit, fit_peak_rule, fit_samples, fit_start
from samic_core.train.schedule import resolve_schedule


def training_config(meta_config: dict[str, Any]) -> TrainConfig:
    """The TrainConfig a model file recorded (its resolved values), as a fresh run."""
    names = {f.name for f in dataclasses.fields(TrainConfig)}
    values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v
                              for k, v in meta_config.items() if k in names}  # fmt: skip
    values["resume"] = None
    return TrainConfig(**values)


def refit_peak_rule(model: str | Path, device: str = "cpu") -> PeakFit | None:
    """The peak rule today's fit chooses for `model` on its validation images (None: too few
    objects); the file is not changed."""
    return _refit(model, device)[0]


def refit_rule(model: str | Path, device: str = "cpu") -> PeakRule:
    """The rule training would store for `model` today: the fit's, or its start where the
    validation images hold too few objects (the predictor's default when that start is it)."""
    fit, start = _refit(model, device)
    return start if fit is None else fit.rule


def _refit(model: str | Path, device: str) -> tuple[PeakFit | None, PeakRule]:
    """(today's fit or None, where it starts) for `model` on its validation images."""
    net, meta = load_model_file(model, device)
    if "bce" not in meta.loss_terms:
        raise SamicError(f"{model}: trained without BCE, its output has no floor to fit")
    if meta.tile is not None:
        raise SamicError(f"{model}: a model of tiles is fitted on whole images (tile_fit.py)")
    config = dataclasses.replace(training_config(meta.config), tile="off")
    schedule = resolve_schedule(config.schedule, config.patience, meta.loss_terms)
    data = read_folder_data(config, schedule)
    tensors = EpisodeTensors(data.images, config.image_size)
    bank = FeatureBank(net, tensors, net.device, True, 2**31)
    samples = fit_samples(net, data.images, data.score_groups, tensors, bank, config.batch_size)
    start = fit_start(net)
    return fit_peak_rule(samples, start), start
