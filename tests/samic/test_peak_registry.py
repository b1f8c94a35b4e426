"""Peak rules are registered objects: a new rule is one function plus one registration, and the
CLI, `find_peaks` and the predictor's path offer and dispatch it without naming it anywhere."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from samic_core import config
from samic_core.cli.main import build_parser, command_parser
from samic_core.cli.options import peak_rule_from_args
from samic_core.errors import SamicError
from samic_core.heatmap import Peak, points_to_heatmap
from samic_core.peaks import (
    PeakMethodSpec,
    PeakRule,
    find_peaks,
    peak_method,
    peak_method_names,
    peak_methods,
    register_peak_method,
    unregister_peak_method,
)
from samic_core.predict.predictor import maps_to_peaks


def _strongest(heat: np.ndarray, image_size: tuple[int, int] | None, rule: PeakRule) -> list[Peak]:
    """A toy rule: one prompt on the map's strongest pixel, its score the map's max."""
    h, w = heat.shape
    H, W = image_size or (h, w)
    y, x = np.unravel_index(int(np.argmax(heat)), heat.shape)
    return [Peak(x=(x + 0.5) * W / w - 0.5, y=(y + 0.5) * H / h - 0.5, score=float(heat.max()),
                 area=1)]  # fmt: skip


TOY = PeakMethodSpec(
    name="strongest",
    help="a single prompt on the strongest pixel",
    heat="normalised",
    find=_strongest,
    threshold=0.9,
    floor=0.0,
)


@pytest.fixture
def toy_rule():
    register_peak_method(TOY)
    try:
        yield TOY
    finally:
        unregister_peak_method(TOY.name)


def _two_objects(scale: float) -> np.ndarray:
    heat = np.maximum(
        points_to_heatmap([(20, 20)], (64, 64)), 0.8 * points_to_heatmap([(44, 40)], (64, 64))
    )
    return (scale * heat).astype(np.float32)


def test_a_registered_rule_is_offered_and_dispatched(toy_rule: PeakMethodSpec) -> None:
    parser = build_parser()
    eval_args = ["--format", "sambox", "--method", "samic", "--out", "res"]
    for argv in (["predict", "in", "--model", "m.samic"], ["eval", "in", *eval_args]):
        args = parser.parse_args([*argv, "--peaks", "strongest"])
        action = next(a for a in command_parser(parser, args)._actions if a.dest == "peaks")
        assert "strongest" in action.choices
        assert "strongest: a single prompt on the strongest pixel" in action.help
        # its defaults come from the registration, the threshold flag still overrides them
        assert peak_rule_from_args(args, PeakRule()) == PeakRule("strongest", 0.9, 0.0)
    assert PeakRule.named("strongest", 0.5).threshold == 0.5

    heat = _two_objects(0.4)
    (peak,) = find_peaks(heat, (128, 128), PeakRule.named("strongest"))
    assert (peak.x, peak.y) == pytest.approx((40.5, 40.5))  # (20, 20) at twice the size
    assert len(find_peaks(heat, None, PeakRule())) == 2  # nms is still there, beside it

    # the predictor's path hands the rule the K-shot map it declared: the normalised one
    maps = torch.from_numpy(np.stack([_two_objects(0.4), _two_objects(0.2)]))
    (peak,) = maps_to_peaks(maps, (64, 64), PeakRule.named("strongest"))
    assert peak.score == pytest.approx(1.0)
    raw = maps_to_peaks(maps, (64, 64), PeakRule(floor=0.0))  # nms reads the raw mean
    assert max(p.score for p in raw) == pytest.approx(0.3, abs=0.01)


def test_an_unregistered_rule_is_gone() -> None:
    register_peak_method(TOY)
    with pytest.raises(ValueError, match="already registered"):
        register_peak_method(TOY)
    unregister_peak_method(TOY.name)
    assert TOY.name not in peak_method_names()
    with pytest.raises(SamicError, match="unknown peak rule 'strongest'; use one of nms, paper"):
        PeakRule("strongest")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["predict", "in", "--model", "m.samic", "--peaks", "strongest"])


def test_the_shipped_rules_are_the_configs_vocabulary() -> None:
    """The app offers samic_core.config's names (it reads them without torch); the registry
    holds the same rules, default first, each with its defaults and the map it reads."""
    assert peak_method_names() == config.PEAK_METHODS
    assert PeakRule() == PeakRule.named(peak_methods()[0].name)
    assert PeakRule.paper() == PeakRule("paper", threshold=0.5, floor=0.0)
    assert (peak_method("nms").heat, peak_method("paper").heat) == ("raw", "normalised")
