"""The evaluation run: scoring, bookkeeping, interruption and skipped episodes."""

from __future__ import annotations

import shutil

import cv2
import numpy as np
import pytest

from samic_core.errors import SamicError
from samic_core.eval.datasets import FewShotDataset, read_fss
from samic_core.eval.harness import EvalConfig, evaluate
from samic_core.eval.methods import CenterMethod, CopyMethod, Prediction, PromptMethod, Query
from samic_core.eval.prompts import PromptRule


class GroundTruthClicks(PromptMethod):
    """Clicks the query's own ground truth: a correct harness must score it perfectly."""

    name = "gt"

    def __init__(self, dataset: FewShotDataset) -> None:
        self.by_path = {s.image_path: s for v in dataset.samples.values() for s in v}
        self.dataset = dataset

    def set_references(self, references) -> None:
        pass

    def predict(self, query: Query) -> Prediction:
        target = self.dataset.load(self.by_path[query.path])
        return Prediction.positives(PromptRule().points(target.components > 0))


def test_oracle_scores_ground_truth_clicks_perfectly_and_baselines_not(synth_fss):
    ds = read_fss(synth_fss)
    methods = [GroundTruthClicks(ds), CopyMethod(), CenterMethod()]
    result = evaluate(ds, methods, EvalConfig(shots=1, segmenters=("oracle",)))
    gt = result.methods["gt"]
    assert gt["segmenters"]["oracle"]["miou"] == 1.0
    assert gt["segmenters"]["oracle"]["fb_iou"] == 1.0
    assert gt["point_precision"] == 1.0 and gt["instance_recall"] == 1.0
    for name in ("copy", "center"):
        assert result.methods[name]["segmenters"]["oracle"]["miou"] < 0.9
    assert len(result.episodes) == 20 and not result.interrupted
    assert result.sam_model is None


def test_summary_numbers_are_the_sums_of_the_episode_numbers(synth_fss):
    ds = read_fss(synth_fss)
    result = evaluate(ds, [CopyMethod(), CenterMethod()], EvalConfig(shots=2, seed=4))
    for name, summary in result.methods.items():
        per_class = summary["segmenters"]["oracle"]["per_class_iou"]
        for c in ds.classes:
            eps = [e["methods"][name]["oracle"] for e in result.episodes if e["class"] == c]
            inter = sum(e["intersection"][1] for e in eps)
            union = sum(e["union"][1] for e in eps)
            assert per_class[c] == pytest.approx(inter / union)
        assert summary["segmenters"]["oracle"]["miou"] == pytest.approx(
            np.mean(list(per_class.values()))
        )
        points = sum(len(e["methods"][name]["points"]) for e in result.episodes)
        assert summary["points_per_image"] == pytest.approx(points / len(result.episodes))
    ep = result.episodes[0]
    assert len(ep["supports"]) == 2 and len(ep["reference_points"]) == 2
    assert ep["query"].endswith(".jpg") and "/" in ep["query"]


def test_stop_request_ends_the_run_early(synth_fss):
    ds = read_fss(synth_fss)
    calls = []
    result = evaluate(
        ds,
        [CenterMethod()],
        EvalConfig(),
        progress=lambda done, total, name: calls.append((done, total, name)),
        should_stop=lambda: len(calls) >= 3,
    )
    assert result.interrupted and len(result.episodes) == 3
    assert calls[-1][:2] == (3, 20) and calls[-1][2] in ds.classes  # the one Progress shape


def test_episodes_without_a_usable_reference_are_scored_empty_not_dropped(synth_fss, tmp_path):
    root = tmp_path / "fss"
    shutil.copytree(synth_fss, root)
    name = sorted(p.name for p in root.iterdir() if p.name != "splits")[0]
    cv2.imwrite(str(root / name / "1.png"), np.zeros((64, 64), np.uint8))
    ds = read_fss(root)
    result = evaluate(ds, [CopyMethod()], EvalConfig(policy="first"))
    assert len(result.episodes) == 5 * 3  # every episode is scored, none dropped
    assert {e["class"] for e in result.skipped_episodes} == {name}
    assert len(result.skipped_episodes) == 3
    assert "empty reference mask" in result.skipped_episodes[0]["reason"]
    empty = [e for e in result.episodes if "not_prompted" in e]
    assert [e["index"] for e in empty] == [e["index"] for e in result.skipped_episodes]
    for e in empty:  # nothing predicted: intersection 0, union the ground truth
        copy = e["methods"]["copy"]
        assert copy["points"] == [] and copy["oracle"]["iou"] == 0.0
        assert copy["oracle"]["union"][1] > 0
    summary = result.methods["copy"]
    assert summary["segmenters"]["oracle"]["per_class_iou"][name] == 0.0
    assert summary["per_class_prompt"][name]["episodes_without_points"] == 3


def test_k_shot_episodes_use_the_supports_that_can_be_prompted(synth_fss, tmp_path):
    root = tmp_path / "fss"
    shutil.copytree(synth_fss, root)
    name = sorted(p.name for p in root.iterdir() if p.name != "splits")[0]
    speck = np.zeros((64, 64), np.uint8)
    speck[10:13, 10:13] = 255  # 9 pixels: a part too small for a click
    cv2.imwrite(str(root / name / "1.png"), speck)
    ds = read_fss(root)
    result = evaluate(ds, [CopyMethod()], EvalConfig(shots=2, policy="first"))
    assert len(result.episodes) == 5 * 2 and result.skipped_episodes == []
    for e in (e for e in result.episodes if e["class"] == name):
        assert e["unprompted_supports"] == [f"no clicks on reference {name}/1.jpg"]
        assert len(e["reference_points"]) == 1 and e["methods"]["copy"]["points"]


def test_configuration_errors(synth_fss):
    ds = read_fss(synth_fss)
    with pytest.raises(SamicError, match="needs a SAM checkpoint"):
        evaluate(ds, [CopyMethod()], EvalConfig(segmenters=("sam",)))
    with pytest.raises(SamicError, match="once"):
        evaluate(ds, [CopyMethod(), CopyMethod()], EvalConfig())
    with pytest.raises(SamicError, match="segmenters"):
        EvalConfig(segmenters=("human",))
