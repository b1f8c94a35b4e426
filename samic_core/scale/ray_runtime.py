"""Connecting to Ray and sizing the worker pool (only imported when `--ray` is given)."""

from __future__ import annotations

import argparse
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from samic_core.config import DEFAULT_PRECISION
from samic_core.errors import SamicError
from samic_core.scale.reaper import Reaper

try:
    import ray
    import ray.data
except ImportError as e:  # pragma: no cover - exercised where the extra is missing
    raise SamicError(
        "--ray needs the Ray extra: pip install -e '.[ray]' in this repository (on every node "
        f"of the cluster); {e}"
    ) from e

LOCAL = "local"  # `--ray` without an address


@contextmanager
def connected(address: str) -> Iterator[None]:
    """Use the Ray instance this process already has, else start a local one (LOCAL) or join
    the cluster at `address` ("auto", "HOST:6379", "ray://HOST:10001"); leave it as found.

    A local Ray started here is watched by a Reaper process, so that even a driver killed with
    SIGKILL leaves none of its Ray processes running (samic_core.scale.reaper).
    """
    if ray.is_initialized():
        yield
        return
    reaper = Reaper.start() if address == LOCAL else None
    try:
        try:
            ray.init(address=None if address == LOCAL else address, log_to_driver=True)
        except (ConnectionError, RuntimeError, ValueError) as e:
            raise SamicError(f"cannot connect to the Ray cluster at {address!r}: {e}") from e
        if reaper is not None:
            reaper.scan()  # learn the processes ray.init just started before anything else
        try:
            yield
        finally:
            ray.shutdown()
    finally:
        if reaper is not None:
            reaper.stop()


@dataclass(frozen=True)
class PoolPlan:
    """The actor pool: how many model-holding actors, each with these resources."""

    actors: int
    num_cpus: float
    num_gpus: float

    @property
    def device(self) -> str:
        return "cuda" if self.num_gpus else "cpu"

    def map_batches_args(self) -> dict[str, Any]:
        return {"concurrency": self.actors, "num_cpus": self.num_cpus, "num_gpus": self.num_gpus}


READER_CPUS = 0.5  # per read-and-decode task: light next to the models, so two share a CPU


def plan_pool(gpus: int, cpus_per_worker: float) -> PoolPlan:
    """`gpus` actors with one GPU each; with no GPU, as many CPU actors as the cluster's CPUs
    allow after READER_CPUS are kept for reading (at least one actor)."""
    resources = ray.cluster_resources()
    cpus = resources.get("CPU", 1.0)
    if cpus_per_worker + READER_CPUS > cpus:
        raise SamicError(
            f"--cpus-per-worker {cpus_per_worker:g} leaves no CPU for reading images on a Ray "
            f"cluster of {cpus:g} CPUs (at most {max(cpus - READER_CPUS, 0):g})"
        )
    if gpus > 0:
        have = resources.get("GPU", 0.0)
        if gpus > have:
            raise SamicError(f"--gpus {gpus}, but the Ray cluster has {have:g} GPUs")
        return PoolPlan(gpus, cpus_per_worker, 1.0)
    actors = max(1, math.floor((cpus - READER_CPUS) / cpus_per_worker))
    return PoolPlan(actors, cpus_per_worker, 0.0)


def sam_spec(args: argparse.Namespace, checkpoint: str) -> dict[str, Any]:
    """What an actor needs to build the same engine as engine_from_args (plain values)."""
    from samic_core.paths import embeddings_dir
    from samic_core.settings_values import cache_max_bytes, env_cache_max_bytes

    max_bytes = cache_max_bytes(getattr(args, "cache_max_gb", None), "--cache-max-gb")
    if max_bytes is None:
        env_cache_max_bytes()  # a bad SAMIC_CACHE_MAX_GB fails here, not in every actor
    cache_dir = args.cache_dir if args.cache_dir is not None else embeddings_dir()
    return {
        "checkpoint": checkpoint,
        "model_type": args.model_type,
        "cache_dir": None if args.no_cache else str(cache_dir),
        "cache_dtype": args.cache_dtype,
        "max_bytes": max_bytes,
        "precision": getattr(args, "precision", DEFAULT_PRECISION),
    }


def build_engine(spec: dict[str, Any], device: str, cpus: float):  # -> ClickEngine
    """The actor's click engine (loaded once per actor) on `device`, torch limited to its
    CPUs; built by the core's one builder from the driver's plain values."""
    from pathlib import Path

    import torch

    from samic_core.config import EngineConfig
    from samic_core.sam.build import build_engine as core_build_engine

    torch.set_num_threads(max(1, int(cpus)))
    on_disk = spec["cache_dir"] is not None  # --no-cache: the memory LRU only, as locally
    max_gb = None if spec["max_bytes"] is None else spec["max_bytes"] / (1 << 30)
    config = EngineConfig(
        checkpoint=Path(spec["checkpoint"]),
        model_type=spec["model_type"],
        device=device,  # type: ignore[arg-type]  # "cuda:N" on a Ray GPU worker
        cache_dir=Path(spec["cache_dir"]) if on_disk else None,
        cache_dtype=spec["cache_dtype"],
        cache_max_gb=max_gb,
        precision=spec.get("precision", DEFAULT_PRECISION),
        disk_cache=on_disk,
    )
    return core_build_engine(config)


def blocks_for(n: int, per_block: int = 4) -> int:
    """Input blocks for n images: small blocks keep every actor busy and progress smooth."""
    return max(1, math.ceil(n / per_block))
