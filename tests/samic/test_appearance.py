"""The appearance cue: it starts as a no-op, reads the reference, learns, and model files record
and rebuild it."""

from __future__ import annotations

import torch

from samic_core.model.appearance import AppearanceCue, stage_ends
from samic_core.model.build import build_learner, build_samic

S = 64


def _heat(b: int) -> torch.Tensor:
    heat = torch.zeros(b, S, S)
    heat[:, 20:28, 30:40] = 1.0
    return heat


def test_stage_ends_index_each_stages_last_bottleneck() -> None:
    assert stage_ends((4, 6, 3)) == (3, 9, 12)
    assert stage_ends((4, 23, 3)) == (3, 26, 29)


def test_an_untrained_cue_leaves_hsnets_output_unchanged() -> None:
    plain, _ = build_samic("resnet50", weights="none", image_size=S)
    cued, _ = build_samic("resnet50", weights="none", image_size=S, appearance=True)
    missing, unexpected = cued.learner.load_state_dict(plain.learner.state_dict(), strict=False)
    assert not unexpected and all(k.startswith("appearance.") for k in missing) and missing
    torch.manual_seed(0)
    target, reference = torch.rand(2, 3, S, S), torch.rand(2, 3, S, S)
    with torch.no_grad():
        assert torch.equal(plain(target, reference, _heat(2)), cued(target, reference, _heat(2)))


def test_the_cue_depends_on_the_target_and_on_the_reference_region() -> None:
    cue = AppearanceCue((8, 16, 32), out=8)
    torch.nn.init.normal_(cue.mix[-1].weight)  # past the zero start
    g = torch.Generator().manual_seed(1)
    feats = lambda: [torch.randn(1, c, n, n, generator=g) for c, n in ((8, 8), (16, 4), (32, 2))]  # noqa: E731
    target, reference = feats(), feats()
    heat = _heat(1)
    other = torch.zeros_like(heat)
    other[:, 40:60, 2:20] = 1.0
    out = cue(target, reference, heat)
    assert out.shape == (1, 8, 8, 8)
    assert not torch.allclose(out, cue(target, reference, other))  # the prompted region counts
    assert not torch.allclose(out, cue(feats(), reference, heat))  # the target counts


def test_the_cue_gets_gradients_through_the_map() -> None:
    net, _ = build_samic("resnet50", weights="none", image_size=S, appearance=True)
    torch.manual_seed(0)
    target, reference = net.extract(torch.rand(2, 3, S, S)), net.extract(torch.rand(2, 3, S, S))
    logits, _ = net.forward_parts(target, reference, _heat(2))
    last = net.learner.appearance.mix[-1].weight
    (grad,) = torch.autograd.grad(logits.sum(), [last])
    assert grad.abs().sum() > 0
    base = sum(p.numel() for p in build_learner("resnet50").parameters())
    cued = sum(p.numel() for p in build_learner("resnet50", appearance=True).parameters())
    assert cued - base == sum(p.numel() for p in net.learner.appearance.parameters()) == 375_184


def test_the_cue_is_on_under_auto_with_the_level_term_and_off_under_paper() -> None:
    """Alone it collapsed a seed-1 run to a faint map; with the level term it helped on the
    suite (docs/model.md, "The level term"). The paper's schedule stays the paper's."""
    from samic_core.train.schedule import SCHEDULES

    assert SCHEDULES["auto"].appearance and "level" in SCHEDULES["auto"].loss_terms
    assert not SCHEDULES["paper"].appearance and "level" not in SCHEDULES["paper"].loss_terms
