"""One optimizer step's loss: episodes -> features -> predicted heat maps -> loss terms."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import torch
import torch.nn.functional as F

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

PRESENCE_TERM = "presence"  # the presence gate's image-level loss (model/presence.py)


def batch_loss(
    net: SamicNet,
    episodes: Sequence[TrainingEpisode],
    tensors: EpisodeTensors,
    bank: FeatureBank,
    terms: Sequence[str] = PAPER_TERMS,
    gate_only: Sequence[TrainingEpisode] = (),
    deficits: dict[TrainingEpisode, torch.Tensor] | None = None,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Loss over a batch of episodes (the sum of `terms`' batch means), and each term's mean.

    The paper's three terms are always logged, also those left out of the loss (the table 6
    ablation compares them); BCE is logged when it is one of `terms`. A model with a presence
    gate adds PRESENCE_TERM: the gate's own image-level BCE (object in the target or not), while
    the map's terms see the map before the gate, so the gate cannot become a global bias.
    `gate_only` episodes (erased copies, train/erase.py) add empty targets to that term alone;
    their evidence deficits come from frozen features only, so `deficits` keeps them per pair
    for the epochs that draw the pair again.
    """
    target_feats, ref_feats, ref_heat, target_heat = episode_batch(episodes, tensors, bank)
    logits, presence = net.forward_parts(target_feats, ref_feats, ref_heat)
    pred = net.to_heatmap(logits)
    terms = check_loss_terms(terms)
    parts = loss_terms(pred, target_heat, logged_terms(terms))
    loss = sum_terms(parts, terms)
    if presence is not None:
        present = (target_heat.flatten(1).amax(1) > 0).to(presence.dtype)
        if gate_only:
            deficit = torch.cat([_deficit(net, e, tensors, bank, deficits) for e in gate_only])
            presence = torch.cat([presence, net.presence_from_deficit(deficit)])
            present = torch.cat([present, present.new_zeros(len(gate_only))])
        parts[PRESENCE_TERM] = F.binary_cross_entropy_with_logits(presence, present)
        loss = loss + parts[PRESENCE_TERM]
    values = torch.stack(list(parts.values())).detach().tolist()  # one host sync, not one a term
    return loss, dict(zip(parts, values, strict=True))


def _deficit(
    net: SamicNet,
    e: TrainingEpisode,
    tensors: EpisodeTensors,
    bank: FeatureBank,
    deficits: dict[TrainingEpisode, torch.Tensor] | None,
) -> torch.Tensor:
    """(1, L) evidence deficit of one pair, pair by pair (no (B, ...) copy of features that
    serve one product), from `deficits` when it was computed before."""
    if deficits is not None and e in deficits:
        return deficits[e]
    d = net.evidence_deficit(
        bank.get(e.target, e.target_flip, e.target_variant),
        bank.get(e.reference, e.reference_flip, e.reference_variant),
        tensors.heatmap(e.reference, e.class_name, e.reference_flip, e.reference_variant)[None].to(
            bank.device
        ),
    )
    if deficits is not None:
        deficits[e] = d
    return d


def optimised_terms(terms: Sequence[str], logged: Iterable[str]) -> list[str]:
    """The names among a step's `logged` values whose sum is the optimised loss."""
    return [k for k in logged if k in terms or k == PRESENCE_TERM]


def logged_terms(terms: Sequence[str]) -> tuple[str, ...]:
    """The terms a run's history records: the chosen ones and always the paper's three."""
    return check_loss_terms((*SHAPE_TERMS, *terms))


def batches(items: Sequence[TrainingEpisode], size: int) -> Iterator[Sequence[TrainingEpisode]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
