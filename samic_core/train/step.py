"""One optimizer step's loss: episodes -> features -> predicted heat maps -> loss terms."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch

from samic_core.model.samic_net import SamicNet
from samic_core.train.episodes import TrainingEpisode
from samic_core.train.features import EpisodeTensors, FeatureBank, episode_batch
from samic_core.train.losses import (
    PAPER_TERMS,
    SHAPE_TERMS,
    check_loss_terms,
    loss_terms,
    sum_terms,
)


def batch_loss(
    net: SamicNet,
    episodes: Sequence[TrainingEpisode],
    tensors: EpisodeTensors,
    bank: FeatureBank,
    terms: Sequence[str] = PAPER_TERMS,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Loss over a batch of episodes (the sum of `terms`' batch means), and each term's mean.

    The paper's three terms are always logged, also those left out of the loss (the table 6
    ablation compares them); BCE is logged when it is one of `terms`.
    """
    target_feats, ref_feats, ref_heat, target_heat = episode_batch(episodes, tensors, bank)
    pred = net.to_heatmap(net.forward_features(target_feats, ref_feats, ref_heat))
    terms = check_loss_terms(terms)
    parts = loss_terms(pred, target_heat, logged_terms(terms))
    loss = sum_terms(parts, terms)
    values = torch.stack(list(parts.values())).detach().tolist()  # one host sync, not one a term
    return loss, dict(zip(parts, values, strict=True))


def logged_terms(terms: Sequence[str]) -> tuple[str, ...]:
    """The terms a run's history records: the chosen ones and always the paper's three."""
    return check_loss_terms((*SHAPE_TERMS, *terms))


def batches(items: Sequence[TrainingEpisode], size: int) -> Iterator[Sequence[TrainingEpisode]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
