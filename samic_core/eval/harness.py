"""Run every method on the same fixed episodes and score prompts and masks.

Per episode: load the K supports and the query, give each method the supports' images, masks
and clicks (annotated where the data has them, else from the prompt rule), score its positive
points (point precision, instance recall) and the mask of each segmenter (oracle: the
ground-truth parts its points hit; sam: SAM's mask for its points). Times are per method and
exclude SAM's image encoder, which is timed once per episode as `embed_s`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from samic_core import __version__
from samic_core.errors import SamicError
from samic_core.eval.datasets import FewShotDataset, Target
from samic_core.eval.episodes import BENCHMARK_EPISODES, EvalEpisode, make_eval_episodes
from samic_core.eval.methods.base import (
    SAM_GROUPINGS,
    Prediction,
    PromptMethod,
    Query,
    Reference,
)
from samic_core.eval.metrics import (
    IoUMeter,
    PromptMeter,
    intersection_union,
    oracle_mask,
    prompt_counts,
)
from samic_core.eval.prompts import PromptRule
from samic_core.eval.ref_lists import NON_STANDARD, run_list
from samic_core.jobs import Progress, ShouldStop
from samic_core.sam.click_engine import ClickEngine
from samic_core.sam.types import ImageEmbedding

log = logging.getLogger(__name__)

SEGMENTERS = ("sam", "oracle")
REFERENCE_POINTS = ("annotated", "rule")


@dataclass
class EvalConfig:
    """What to run: episode settings, segmenters, and how reference clicks are obtained.

    reference_points: 'annotated' uses a dataset's own clicks where it has them (SAMBOX) and
    the prompt rule elsewhere; 'rule' always derives clicks from the reference mask.
    sam_grouping: how the SAM segmenter prompts a method's points (see methods.base.sam_mask).
    """

    shots: int = 1
    seed: int = 0
    segmenters: tuple[str, ...] = ("oracle",)
    policy: str = "random"
    max_queries_per_class: int | None = None
    episodes: int = BENCHMARK_EPISODES  # of the cycle and class policies (COCO-20i, Pascal-5i)
    prompt_rule: PromptRule = field(default_factory=PromptRule)
    reference_points: str = "annotated"
    sam_grouping: str = "per-point"

    def __post_init__(self) -> None:
        bad = [s for s in self.segmenters if s not in SEGMENTERS]
        if bad or not self.segmenters:
            raise SamicError(f"segmenters must be some of {SEGMENTERS}, got {self.segmenters}")
        if self.reference_points not in REFERENCE_POINTS:
            raise SamicError(f"reference points must be one of {REFERENCE_POINTS}")
        if self.sam_grouping not in SAM_GROUPINGS:
            raise SamicError(f"SAM grouping must be one of {SAM_GROUPINGS}")

    def describe(self) -> dict[str, Any]:
        d = asdict(self)
        d["segmenters"] = list(self.segmenters)
        d["prompt_rule"] = self.prompt_rule.describe()
        return d


class EmbeddingProvider:
    """`engine.embed_file` with a clock of the time spent getting embeddings (encodes, reads).

    Embeddings used again (a query the harness and a method both need, supports shared by
    episodes) come from the engine's cache and its in-memory LRU (samic_core/sam/cache.py; with
    `--no-cache` a memory-only one), not from a second LRU here.
    """

    def __init__(self, engine: ClickEngine) -> None:
        self.engine = engine
        self.seconds = 0.0

    def __call__(self, path: Path) -> ImageEmbedding:
        start = time.perf_counter()
        emb, _ = self.engine.embed_file(path)
        self.seconds += time.perf_counter() - start  # a cache read costs as before, a hit ~0
        return emb


@dataclass
class MethodScores:
    """Everything accumulated for one method."""

    prompt: PromptMeter = field(default_factory=PromptMeter)
    iou: dict[str, IoUMeter] = field(default_factory=dict)
    prompt_seconds: list[float] = field(default_factory=list)
    segment_seconds: dict[str, list[float]] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        per_class_prompt = {
            c: {
                "point_precision": k.precision,
                "instance_recall": k.recall,
                "points": k.points,
                "inside": k.inside,
                "components": k.components,
                "hit": k.hit,
                "episodes": k.episodes,
                "episodes_without_points": k.empty,
            }
            for c, k in self.prompt.per_class.items()
        }
        segmenters = {}
        for seg, meter in self.iou.items():
            segmenters[seg] = {
                "miou": meter.miou(),
                "fb_iou": meter.fb_iou(),
                "per_class_iou": meter.class_iou(),
                "intersection": {c: v.tolist() for c, v in meter.inter.items()},
                "union": {c: v.tolist() for c, v in meter.union.items()},
                "segment_s_mean": _mean(self.segment_seconds[seg]),
            }
        return {
            "point_precision": self.prompt.point_precision(),
            "instance_recall": self.prompt.instance_recall(),
            "points_per_image": self.prompt.points_per_image(),
            "prompt_s_mean": _mean(self.prompt_seconds),
            "per_class_prompt": per_class_prompt,
            "segmenters": segmenters,
        }


def _mean(values: list[float]) -> float | None:
    return float(np.mean(values)) if values else None


@dataclass
class EvalResult:
    """The outcome of one run: summaries per method, and every episode with every number."""

    dataset: dict[str, Any]
    config: dict[str, Any]
    methods: dict[str, dict[str, Any]]
    episodes: list[dict[str, Any]]
    skipped_episodes: list[dict[str, Any]]
    sam_model: str | None
    started: str
    seconds: float
    interrupted: bool
    episode_list: str = NON_STANDARD  # "standard": the papers' fixed list (ref_lists.py)
    list_note: str = ""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        return {
            "samic_version": __version__,
            "units": "IoU, precision and recall are fractions in [0, 1]; times in seconds",
            "list": data.pop("episode_list"),
            **data,
        }


def reference_points(target: Target, rule: PromptRule, mode: str) -> np.ndarray:
    """The reference's (N, 2) clicks: annotated ones if allowed and present, else the rule's."""
    if mode == "annotated" and target.points is not None and len(target.points):
        return target.points
    return rule.points(target.mask)


def evaluate(
    dataset: FewShotDataset,
    methods: list[PromptMethod],
    config: EvalConfig,
    engine: ClickEngine | None = None,
    embedder: EmbeddingProvider | None = None,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
) -> EvalResult:
    """Score `methods` on `dataset`'s episodes; `engine` is needed for the SAM segmenter.

    progress(done, total, class name) after each episode; should_stop() is polled before each
    one and ends the run early (the result says `interrupted`).
    """
    if not methods:
        raise SamicError("give at least one method to evaluate")
    names = [m.name for m in methods]
    if len(set(names)) != len(names):
        raise SamicError(f"each method may be given once, got {names}")
    if "sam" in config.segmenters and engine is None:
        raise SamicError("the SAM segmenter needs a SAM checkpoint")
    if engine is not None and embedder is None:
        embedder = EmbeddingProvider(engine)
    episodes = make_eval_episodes(
        dataset,
        config.shots,
        config.seed,
        config.policy,
        config.max_queries_per_class,
        config.episodes,
    )
    scores = {m.name: MethodScores() for m in methods}
    records: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    started = datetime.now(UTC).isoformat(timespec="seconds")
    clock = time.perf_counter()
    interrupted = False
    for i, episode in enumerate(episodes):
        if should_stop is not None and should_stop():
            interrupted = True
            break
        record = _run_episode(dataset, episode, methods, config, engine, embedder, scores)
        records.append(record)
        if "not_prompted" in record:
            skipped.append({k: record[k] for k in ("index", "class", "query", "supports")})
            skipped[-1]["reason"] = record["not_prompted"]
        if progress is not None:
            progress(i + 1, len(episodes), episode.class_name)
    episode_list, list_note = run_list(
        dataset.standard_list, dataset.list_note, dataset.format, config.policy,
        config.episodes, config.max_queries_per_class,
    )  # fmt: skip
    return EvalResult(
        dataset=dataset.describe(),
        config=config.describe(),
        methods={m.name: {"method": m.describe(), **scores[m.name].summary()} for m in methods},
        episodes=records,
        skipped_episodes=skipped,
        sam_model=engine.model_id if engine is not None else None,
        started=started,
        seconds=time.perf_counter() - clock,
        interrupted=interrupted,
        episode_list=episode_list,
        list_note=list_note,
    )


def _usable_references(
    dataset: FewShotDataset, episode: EvalEpisode, config: EvalConfig
) -> tuple[list[Reference], list[str]]:
    """The supports a method can be prompted from, and why each other one cannot (an empty
    mask, or one whose parts are all too small for a click)."""
    refs, unusable = [], []
    for sample in episode.supports:
        target = dataset.load(sample)
        if not target.mask.any():
            unusable.append(f"empty reference mask {sample.key}")
            continue
        points = reference_points(target, config.prompt_rule, config.reference_points)
        if len(points) == 0:
            unusable.append(f"no clicks on reference {sample.key}")
            continue
        refs.append(Reference(target.image, target.mask, points, sample.image_path))
    return refs, unusable


def _run_episode(
    dataset: FewShotDataset,
    episode: EvalEpisode,
    methods: list[PromptMethod],
    config: EvalConfig,
    engine: ClickEngine | None,
    embedder: EmbeddingProvider | None,
    scores: dict[str, MethodScores],
) -> dict[str, Any]:
    """Every method on one episode, scored. Supports that cannot be prompted are left out of
    the references (`unprompted_supports`); with none left the methods predict nothing, and
    that empty prediction is scored (`not_prompted` says why), as HSNet scores every episode."""
    record = episode.describe(dataset)
    refs, unusable = _usable_references(dataset, episode, config)
    if unusable:
        record["unprompted_supports"] = unusable
    if not refs:
        record["not_prompted"] = "; ".join(unusable)
        log.warning("episode %d has no reference to prompt from: %s", episode.index, unusable)
    target = dataset.load(episode.query)
    query = Query(target.image, episode.query.image_path)
    encoded_before = embedder.seconds if embedder is not None else 0.0
    wants_emb = bool(refs) and "sam" in config.segmenters  # nothing to decode without refs
    emb = embedder(query.path) if wants_emb and embedder is not None else None
    record["reference_points"] = [r.points.round(2).tolist() for r in refs]
    record["components"] = target.n_components
    record["methods"] = {
        m.name: _run_method(
            m,
            refs,
            query,
            target,
            episode.class_name,
            config,
            engine,
            emb,
            embedder,
            scores[m.name],
        )
        for m in methods
    }
    record["embed_s"] = embedder.seconds - encoded_before if embedder is not None else 0.0
    return record


def _run_method(
    method: PromptMethod,
    refs: list[Reference],
    query: Query,
    target: Target,
    class_name: str,
    config: EvalConfig,
    engine: ClickEngine | None,
    emb: ImageEmbedding | None,
    embedder: EmbeddingProvider | None,
    scores: MethodScores,
) -> dict[str, Any]:
    """One method on one episode: its points, their counts, and each segmenter's IoU; without
    references (none could be prompted) the method is not run and predicts nothing."""
    encoded_before = embedder.seconds if embedder is not None else 0.0
    start = time.perf_counter()
    if refs:
        method.set_references(refs)
        prediction = method.predict(query)
    else:
        prediction = Prediction.positives(np.zeros((0, 2)))
    encoded = (embedder.seconds - encoded_before) if embedder is not None else 0.0
    prompt_s = time.perf_counter() - start - encoded
    scores.prompt_seconds.append(prompt_s)
    counts = prompt_counts(prediction.positive, target.mask, target.components)
    scores.prompt.add(class_name, counts)
    entry: dict[str, Any] = {
        "points": [
            [round(float(x), 2), round(float(y), 2), int(lab)]
            for (x, y), lab in zip(prediction.points, prediction.labels, strict=True)
        ],
        "inside": counts.inside,
        "hit": counts.hit,
        "prompt_s": prompt_s,
    }
    for seg in config.segmenters:
        start = time.perf_counter()
        if seg == "oracle":
            mask = oracle_mask(prediction.positive, target.components)
        elif not refs:
            mask = np.zeros(target.mask.shape, bool)
        else:
            assert engine is not None and emb is not None
            mask = method.segment(engine, emb, prediction, config.sam_grouping)
        seconds = time.perf_counter() - start
        inter, union = intersection_union(mask, target.mask, target.ignore)
        scores.iou.setdefault(seg, IoUMeter()).add(class_name, inter, union)
        scores.segment_seconds.setdefault(seg, []).append(seconds)
        entry[seg] = {
            "iou": float(inter[1] / max(union[1], 1)),
            "intersection": inter.tolist(),
            "union": union.tolist(),
            "segment_s": seconds,
        }
    return entry
