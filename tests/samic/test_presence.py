"""The presence gate: exact evidence, its scale-free deficit, a gate that only closes, and model
files with and without it."""

from __future__ import annotations

import pytest
import torch

from samic_core.model.build import build_learner, build_samic
from samic_core.model.correlation import hypercorrelation, resize_heatmap
from samic_core.model.presence import (
    PresenceGate,
    evidence_deficit,
    gated_logits,
    prompt_evidence,
)
from samic_core.modelfile.file import load_model_file
from samic_core.modelfile.meta import read_model_meta

S = 64


def _feats(b: int, seed: int) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return [torch.rand(b, c, n, n, generator=g) for c, n in ((8, 8), (8, 8), (16, 4))]


def _heat(b: int) -> torch.Tensor:
    heat = torch.zeros(b, S, S)
    heat[:, 20:28, 30:40] = 1.0
    heat[:, 27, 35] = 0.5
    return heat


def test_evidence_is_the_weighted_mean_of_the_hypercorrelation_at_its_best_position() -> None:
    q, s, heat = _feats(2, 0), _feats(2, 1), _heat(2)
    pyramid = hypercorrelation(q, s, heat, (2, 1))  # deepest first: [(B, 1, ...), (B, 2, ...)]
    corrs = [*pyramid[1].unbind(1), *pyramid[0].unbind(1)]  # back to per layer, shallow first
    expected = []
    for corr in corrs:
        w = resize_heatmap(heat, corr.shape[-2:])
        mean = (corr * w[:, None, None]).flatten(3).sum(3) / w.flatten(1).sum(1)[:, None, None]
        expected.append(mean.flatten(1).amax(1))
    got, own = prompt_evidence(q, s, heat)
    assert got.shape == own.shape == (2, 3)
    torch.testing.assert_close(got, torch.stack(expected, 1), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(own, prompt_evidence(s, s, heat)[0])  # the support's own level


def test_deficit_is_zero_for_the_reference_itself_and_grows_with_worse_matches() -> None:
    s, heat = _feats(1, 1), _heat(1)
    _, own = prompt_evidence(s, s, heat)
    assert torch.all(evidence_deficit(own, own).abs() < 1e-6)
    worse = evidence_deficit(own - 0.05, own)
    assert torch.all(worse > 0) and torch.all(evidence_deficit(own - 0.1, own) > worse)
    assert torch.all(evidence_deficit(torch.zeros_like(own), own) <= 4.0)  # clamped


def test_the_gate_starts_open_and_only_closes_with_more_deficit() -> None:
    gate = PresenceGate(13)
    assert torch.sigmoid(gate(torch.full((1, 13), 0.1))).item() > 0.98
    with torch.no_grad():
        gate.weights.copy_(torch.randn(13))
    d = torch.rand(5, 13)
    assert torch.all(gate(d + 0.3) < gate(d))
    logits = torch.randn(2, 4, 4)
    shut = gated_logits(logits, torch.tensor([20.0, -20.0]))
    torch.testing.assert_close(shut[0], logits[0], atol=1e-6, rtol=0)
    assert torch.sigmoid(shut[1]).max() < 1e-6


def test_a_net_with_a_gate_has_15_more_parameters_and_gates_each_pair() -> None:
    base = sum(p.numel() for p in build_learner("resnet50").parameters())
    gated = build_learner("resnet50", presence=True)
    assert sum(p.numel() for p in gated.parameters()) == base + 13 + 2
    net, _ = build_samic("resnet50", weights="none", image_size=S, presence=True)
    torch.manual_seed(0)
    target, reference, heat = torch.rand(2, 3, S, S), torch.rand(2, 3, S, S), _heat(2)
    with torch.no_grad():
        open_ = net(target, reference, heat)
        net.learner.presence.bias.fill_(-10.0)  # closed on every image
        closed = net(target, reference, heat)
    assert torch.all(closed < open_ - 20)


@pytest.mark.parametrize("presence", [False, True])
def test_model_files_record_and_rebuild_the_gate(tmp_path, tiny_train_config, presence) -> None:
    from samic_core.testing.samic_task import write_synthetic_folder
    from samic_core.train.trainer import train

    folder = tmp_path / "f"
    write_synthetic_folder(folder, 4, size=64, seed=3)
    out = tmp_path / "m.pt"
    result = train(tiny_train_config(folder, out, epochs=1, presence=presence))
    assert read_model_meta(out).presence is presence
    assert ("presence" in result.history[-1]) is presence  # the gate's own loss, logged
    net, _ = load_model_file(out, "cpu")
    assert (net.learner.presence is not None) is presence


def test_the_map_and_the_gate_learn_from_their_own_losses() -> None:
    """The map's terms see the map before the gate: were the gate trained through the gated map,
    it would close on every image and the map would compensate (measured: docs/model.md)."""
    net, _ = build_samic("resnet50", weights="none", image_size=S, presence=True)
    torch.manual_seed(0)
    target, reference = net.extract(torch.rand(2, 3, S, S)), net.extract(torch.rand(2, 3, S, S))
    logits, presence = net.forward_parts(target, reference, _heat(2))
    assert logits.shape == (2, S, S) and presence.shape == (2,)
    gate = list(net.learner.presence.parameters())
    assert all(g is None for g in torch.autograd.grad(logits.sum(), gate, allow_unused=True))
    assert all(g is not None for g in torch.autograd.grad(presence.sum(), gate))


def test_a_gated_run_resumes_exactly_and_keeps_its_gate(
    synthetic_folder, tiny_train_config, tmp_path
) -> None:
    """Two optimizer groups (the gate learns faster) survive --resume; the file decides the gate."""
    from samic_core.errors import SamicError
    from samic_core.train.trainer import train

    gated = dict(presence=True, erase=True)
    full = train(tiny_train_config(synthetic_folder, tmp_path / "a.pt", epochs=2, **gated))
    first = train(tiny_train_config(synthetic_folder, tmp_path / "b.pt", epochs=1, **gated))
    resumed = train(
        tiny_train_config(synthetic_folder, tmp_path / "b.pt", epochs=2, resume=first.last_path)
    )  # presence and erase not asked: taken from the file
    assert read_model_meta(resumed.last_path).presence
    for h1, h2 in zip(full.history, resumed.history, strict=True):
        assert h1["presence"] == pytest.approx(h2["presence"], rel=1e-5)
        assert h1["train_loss"] == pytest.approx(h2["train_loss"], rel=1e-5)
    with pytest.raises(SamicError, match="presence = True; cannot resume with presence = False"):
        train(tiny_train_config(synthetic_folder, tmp_path / "c.pt", epochs=2,
                                resume=first.last_path, presence=False))  # fmt: skip
