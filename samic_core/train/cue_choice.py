"""Keep the pixel cue only where it helps this folder: scored on the validation images' prompts.

A run trained with the pixel cue dropped on a share of its samples (TrainConfig.pixel_cue_drop)
has a network that works with and without the cue. After training, the best epoch's weights
are scored on the validation targets both ways (train/peak_fit.py's score: the mean F1 of the
peaks over the grid's rules at most 0.3/0.1). Where the cue does not score higher, it is taken
out of the model: the best file then holds a model without a pixel cue (cheaper to run, and the
same network the cue was dropped from). Why: on look-alikes of the object's colour the cue tells
them apart, while on a photo whose test objects look unlike the training ones it learned the
training objects' look and lost a quarter of them (docs/model.md, "The pixel cue").
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch

from samic_core.model.samic_net import SamicNet
from samic_core.modelfile.meta import ModelMeta
from samic_core.train.peak_fit import PeakFit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CueChoice:
    """The two validation scores and the outcome."""

    with_cue: float
    without_cue: float

    @property
    def keep(self) -> bool:
        """Keep the cue only when it scores strictly higher: a tie keeps the cheaper model."""
        return self.with_cue > self.without_cue

    def describe(self) -> dict[str, float | bool]:
        """Flat entries for the model file's config (plain data only)."""
        return {
            "pixel_cue_kept": self.keep,
            "pixel_cue_score_with": round(self.with_cue, 4),
            "pixel_cue_score_without": round(self.without_cue, 4),
        }


def drop_rng(seed: int, epoch: int, device: torch.device) -> torch.Generator:
    """The generator of one epoch's drops: a function of (seed, epoch) only, so a seeded run
    repeats and a resumed one goes on as if never stopped."""
    return torch.Generator(device=device).manual_seed(seed * 100_003 + epoch)


@contextlib.contextmanager
def without_pixel_cue(net: SamicNet) -> Iterator[None]:
    """Inside the block the network runs as if it had no pixel cue. `extract` still hands on
    the images, so feature lists computed inside and those cached before stay alike."""
    was = net.pixel_cue_on
    net.pixel_cue_on = False
    try:
        yield
    finally:
        net.pixel_cue_on = was


def choose_pixel_cue(
    net: SamicNet,
    weights: dict[str, torch.Tensor],
    fit: PeakFit,
    meta: ModelMeta,
    score: Callable[[], PeakFit | None],
) -> tuple[dict[str, torch.Tensor], PeakFit, ModelMeta] | None:
    """The best epoch's learner `weights`, its validation `fit` (with the cue) and `meta` ->
    the same three for the model to save: with the cue, or with the cue taken out of `net` for
    good when `score()` (the validation targets' peaks, run without the cue) is at least as
    good. None when there is no score without it. The scores go into the config entries."""
    net.learner.load_state_dict(weights)
    with without_pixel_cue(net):
        off = score()
    if off is None:
        return None
    choice = CueChoice(fit.score, off.score)
    log.info("pixel cue %s: validation score %.3f with it, %.3f without",
             "kept" if choice.keep else "removed", choice.with_cue, choice.without_cue)  # fmt: skip
    config = {**meta.config, **choice.describe()}
    if choice.keep:
        return weights, fit, dataclasses.replace(meta, config=config)
    net.learner.pixel_cue = None  # its weights leave the state dict
    kept = {k: v for k, v in weights.items() if not k.startswith("pixel_cue.")}
    params = sum(p.numel() for p in net.learner.parameters())
    return (
        kept,
        off,
        dataclasses.replace(meta, config=config, pixel_cue=False, learnable_params=params),
    )
