"""Fixed-seed K-shot episodes: one query image and K support images of the same class.

Two policies:
  random: every image of a class is a query once; its K supports are drawn without replacement
          from the class's other images (HSNet's FSS-1000 protocol, made distinct for K > 1);
  first:  the first K images (natural name order) are the supports of every other image
          (PerSAM's PerSeg protocol, where the reference is 00.jpg);
  cycle:  a fixed number of episodes (1,000); episode i's query is the i-th (image, class) pair
          of the dataset's query order, cycling, and its K supports are drawn from the class's
          other images (HSNet's Pascal-5i test protocol);
  class:  a fixed number of episodes; each draws a class, then a query and K supports from that
          class's images (HSNet's COCO-20i test protocol).
For random and first, each class has its own random stream seeded by (seed, crc32(class name)),
so adding or removing classes does not change the other classes' episodes.
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass

import numpy as np

from samic_core.errors import SamicError
from samic_core.eval.datasets import FewShotDataset, Sample

log = logging.getLogger(__name__)

POLICIES = ("random", "first", "cycle", "class")
BENCHMARK_EPISODES = 1000  # HSNet's test episodes per fold (COCO-20i, Pascal-5i)


@dataclass(frozen=True)
class EvalEpisode:
    """One K-shot evaluation episode: a query sample and its K support samples of `class_name`
    (training's (target, reference) pairs are samic_core.train.episodes.TrainingEpisode)."""

    index: int
    class_name: str
    query: Sample
    supports: tuple[Sample, ...]

    def describe(self, dataset: FewShotDataset) -> dict:
        return {
            "index": self.index,
            "class": self.class_name,
            "query": dataset.relative(self.query.image_path),
            "supports": [dataset.relative(s.image_path) for s in self.supports],
        }


def make_eval_episodes(
    dataset: FewShotDataset,
    shots: int = 1,
    seed: int = 0,
    policy: str = "random",
    max_queries_per_class: int | None = None,
    count: int = BENCHMARK_EPISODES,
) -> list[EvalEpisode]:
    """Episodes for every class with at least shots + 1 images, in class order.

    count: the number of episodes of the cycle and class policies (unused by the others).
    """
    if shots < 1:
        raise SamicError(f"--shots must be at least 1, got {shots}")
    if policy not in POLICIES:
        raise SamicError(f"unknown episode policy {policy!r}; use one of {POLICIES}")
    if policy in ("cycle", "class"):
        return fixed_count_episodes(dataset, shots, seed, policy, count)
    episodes: list[EvalEpisode] = []
    too_small = []
    for name in dataset.classes:
        samples = dataset.samples[name]
        if len(samples) < shots + 1:
            too_small.append(name)
            continue
        rng = np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])
        if policy == "first":
            supports = tuple(samples[:shots])
            queries = list(range(shots, len(samples)))
        else:
            queries = list(range(len(samples)))
        if max_queries_per_class is not None and len(queries) > max_queries_per_class:
            pick = rng.choice(len(queries), max_queries_per_class, replace=False)
            queries = [queries[i] for i in sorted(pick)]
        for q in queries:
            if policy == "random":
                others = [i for i in range(len(samples)) if i != q]
                drawn = rng.choice(len(others), shots, replace=False)
                supports = tuple(samples[others[i]] for i in drawn)
            episodes.append(EvalEpisode(len(episodes), name, samples[q], supports))
    if too_small:
        log.warning(
            "%d classes have fewer than %d images and give no episodes: %s",
            len(too_small),
            shots + 1,
            ", ".join(too_small[:5]),
        )
    if not episodes:
        raise SamicError(
            f"{dataset.root}: no class has the {shots + 1} images a {shots}-shot episode needs"
        )
    return episodes


def fixed_count_episodes(
    dataset: FewShotDataset, shots: int, seed: int, policy: str, count: int
) -> list[EvalEpisode]:
    """`count` episodes from one random stream seeded by (seed, crc32(format/fold))."""
    if count < 1:
        raise SamicError(f"the number of episodes must be at least 1, got {count}")
    usable = {c: s for c, s in dataset.samples.items() if len(s) >= shots + 1}
    if not usable:
        raise SamicError(
            f"{dataset.root}: no class has the {shots + 1} images a {shots}-shot episode needs"
        )
    name = f"{dataset.format}/{dataset.fold}"
    rng = np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])
    if policy == "cycle":
        pool = [q for q in (dataset.query_order or []) if q.class_name in usable]
        if not pool:
            raise SamicError(f"{dataset.root}: the cycle policy needs the dataset's query order")
    episodes = []
    classes = [c for c in dataset.classes if c in usable]
    for i in range(count):
        if policy == "cycle":
            query = pool[i % len(pool)]
            samples = usable[query.class_name]
        else:
            samples = usable[classes[int(rng.integers(len(classes)))]]
            query = samples[int(rng.integers(len(samples)))]
        others = [s for s in samples if s.image_path != query.image_path]
        drawn = rng.choice(len(others), shots, replace=False)
        supports = tuple(others[int(j)] for j in drawn)
        episodes.append(EvalEpisode(i, query.class_name, query, supports))
    return episodes
