"""Options shared by several subcommands, and turning them into library objects."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tqdm import tqdm

from samic_core.config import (
    CACHE_DTYPES,
    DEFAULT_CACHE_DTYPE,
    DEFAULT_CACHE_MAX_GB,
    DEFAULT_DEVICE,
    DEFAULT_MODEL_TYPE,
    DEVICES,
    MODEL_TYPE_CHOICES,
    EngineConfig,
)
from samic_core.errors import SamicError
from samic_core.jobs import Progress
from samic_core.precision import DEFAULT_PRECISION, PRECISION_CHOICES
from samic_core.sam.build import build_engine
from samic_core.sam.click_engine import ClickEngine
from samic_core.tiles import parse_tile


def add_device_option(parser: argparse._ActionsContainer) -> None:
    """--device: where SAMIC (and SAM) run."""
    parser.add_argument(
        "--device", default=DEFAULT_DEVICE, choices=DEVICES, help="auto = cuda when available"
    )


def add_backbone_weights_option(parser: argparse._ActionsContainer) -> None:
    """--backbone-weights for the commands that rebuild a trained model's backbone: the same
    values as `samic train --backbone-weights`, default the source the model file records."""
    parser.add_argument(
        "--backbone-weights", default=None, metavar="imagenet|none|PATH",
        help="where the model's frozen ResNet comes from, as `samic train --backbone-weights`: "
        "a state-dict file (e.g. torchvision's ImageNet download, fetched on another machine "
        "when this one is offline), imagenet or none; it must be the backbone the model was "
        "trained with (checked by hash). Default: the source recorded in the model file",
    )  # fmt: skip


def add_sam_options(parser: argparse.ArgumentParser) -> None:
    """--checkpoint, --model-type, --device, --cache-dir, --cache-dtype."""
    g = parser.add_argument_group("SAM")
    g.add_argument(
        "--checkpoint",
        type=Path,
        help="SAM checkpoint file (default: the one `samic weights download` saved in the "
        "user cache for --model-type; `samic weights list` shows where)",
    )
    g.add_argument(
        "--model-type",
        default=DEFAULT_MODEL_TYPE,
        choices=MODEL_TYPE_CHOICES,
        help="auto (default): the checkpoint's engine and size; without --checkpoint, the "
        "downloaded vit_b. SAM 1: vit_b, vit_l, vit_h; SAM 2.1: sam2.1_hiera_t (fastest "
        "encoder), sam2.1_hiera_s, sam2.1_hiera_b+, sam2.1_hiera_l",
    )
    add_device_option(g)
    g.add_argument("--cache-dir", type=Path, help="embedding cache folder (default: user cache)")
    g.add_argument(
        "--cache-dtype",
        default=DEFAULT_CACHE_DTYPE,
        choices=CACHE_DTYPES,
        help="float16 halves the cache size; float32 keeps masks identical to SamPredictor "
        "(SAM2ImagePredictor)",
    )
    g.add_argument(
        "--cache-max-gb",
        type=float,
        help="size limit of the embedding cache; least recently used entries are deleted "
        f"(default: SAMIC_CACHE_MAX_GB or {DEFAULT_CACHE_MAX_GB:g})",
    )
    g.add_argument(
        "--no-cache",
        action="store_true",
        help="do not read or write the embedding cache on disk (embeddings stay in memory only)",
    )
    g.add_argument(
        "--precision", default=DEFAULT_PRECISION, choices=PRECISION_CHOICES,
        help=f"SAM encoding and SAMIC (default {DEFAULT_PRECISION}: cache entries shared with "
        "the app and other machines); bf16 = autocast, much faster encodes on CUDA, own cache "
        "entries; auto = bf16 on CUDA with bf16 support, else fp32; decoding is always fp32",
    )  # fmt: skip


def engine_config(args: argparse.Namespace) -> EngineConfig:
    """The EngineConfig the SAM options describe (the same value the app and Ray build from)."""
    return EngineConfig(
        checkpoint=args.checkpoint,
        model_type=args.model_type,
        device=args.device,
        cache_dir=args.cache_dir,
        cache_dtype=args.cache_dtype,
        cache_max_gb=getattr(args, "cache_max_gb", None),
        precision=args.precision,
        disk_cache=not args.no_cache,
    )


def engine_from_args(args: argparse.Namespace) -> ClickEngine:
    """The click engine (and embedding cache) the SAM options describe; bad values are
    SamicError. --no-cache: nothing on disk, but the cache's memory LRU still spares
    re-encoding an image used twice in a row (an evaluation episode's query, a reference)."""
    return build_engine(engine_config(args))


class LazyBar:
    """A tqdm bar drawn at its first update, not when made: input refused before any work
    leaves its one error line alone on stderr."""

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self._bar: tqdm | None = None

    @property
    def started(self) -> bool:
        """Whether the bar has been drawn (kwargs may still be changed until then)."""
        return self._bar is not None

    @property
    def bar(self) -> tqdm:
        """The tqdm bar, made (and drawn) on first use."""
        if self._bar is None:
            self._bar = tqdm(**self.kwargs)
        return self._bar

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


@contextmanager
def progress_bar(desc: str, unit: str = "img") -> Iterator[Progress]:
    """A tqdm bar and the one `Progress(done, total, name)` callback the core functions take;
    the bar appears with the first progress report."""
    lazy = LazyBar(unit=unit, desc=desc)

    def update(done: int, total: int, name: str) -> None:
        bar = lazy.bar
        bar.total = total
        bar.n = done
        if name:
            bar.set_postfix_str(name)
        bar.refresh()

    try:
        yield update
    finally:
        lazy.close()


def add_peak_options(parser: argparse.ArgumentParser) -> None:
    """--peaks / --threshold / --peak-floor / --peak-radius: how heat maps become prompts."""
    from samic_core.peaks import PeakRule, peak_methods

    d, methods = PeakRule(), peak_methods()  # the choices and their help: the registered rules
    g = parser.add_argument_group("peaks (heat map -> point prompts, see docs/model.md)")
    g.add_argument(
        "--peaks", choices=[m.name for m in methods], default=None,
        help="; ".join(f"{m.name}: {m.help}" for m in methods) + ". Default: "
        f"{d.method} for models trained with the BCE term (--schedule auto), paper otherwise",
    )  # fmt: skip
    g.add_argument(
        "--threshold", type=float, default=None,
        help="peak threshold relative to the image's strongest peak ("
        + ", ".join(f"{m.name} {m.threshold}" for m in methods) + ")",
    )  # fmt: skip
    g.add_argument(
        "--peak-floor", type=float, default=None,
        help=f"nms: absolute floor on the network's output in [0, 1] (default {d.floor})",
    )  # fmt: skip
    g.add_argument(
        "--peak-radius", type=float, default=None,
        help="nms: suppression radius as a fraction of the image side (default: from the "
        "references' object size)",
    )  # fmt: skip


def peak_rule_from_args(args: argparse.Namespace, default: Any):  # PeakRules (lazy import)
    """The PeakRule that add_peak_options' flags describe; `default` (the model's own rule,
    SamicPredictor.default_rule) when --peaks is not given."""
    from dataclasses import replace

    from samic_core.peaks import PeakRule

    rule = PeakRule.named(args.peaks or default.method, args.threshold)
    if args.peak_floor is not None:
        rule = replace(rule, floor=args.peak_floor)
    if args.peak_radius is not None:
        rule = replace(rule, radius=args.peak_radius)
    return rule


# samic_core.scale.ray_runtime.READER_CPUS, which is not imported here (that module imports
# Ray); tests/core/test_cli_inputs.py keeps the two equal
READER_CPUS = 0.5


def add_scale_options(parser: argparse.ArgumentParser) -> None:
    """--ray [ADDRESS], --gpus, --cpus-per-worker, --limit (docs/scale-out.md)."""
    g = parser.add_argument_group("scale-out (docs/scale-out.md; needs the samic[ray] extra)")
    g.add_argument(
        "--ray", nargs="?", const="local", default=None, metavar="ADDRESS",
        help="run on Ray: without ADDRESS a local Ray instance on this machine, else the "
        "cluster at ADDRESS ('auto', HOST:6379 or ray://HOST:10001); resumable",
    )  # fmt: skip
    g.add_argument(
        "--gpus", type=int, default=None,
        help="with --ray: N actors with one GPU each (default 0: CPU actors)",
    )  # fmt: skip
    g.add_argument(
        "--cpus-per-worker", type=float, default=None,
        help="with --ray: CPUs per model actor (default 1; without GPUs the pool has as many "
        f"actors as the cluster's CPUs allow with {READER_CPUS:g} CPU kept for reading images)",
    )  # fmt: skip
    g.add_argument("--limit", type=int, default=None, metavar="N",
                   help="only the first N images by name (a dry run)")  # fmt: skip


def check_scale_options(args: argparse.Namespace) -> None:
    """Refuse --gpus/--cpus-per-worker without --ray, and values that make no sense."""
    for flag, value in (("--gpus", args.gpus), ("--cpus-per-worker", args.cpus_per_worker)):
        if value is not None and args.ray is None:
            raise SamicError(f"{flag} only applies with --ray")
    if args.gpus is not None and args.gpus < 0:
        raise SamicError(f"--gpus must be 0 or more, got {args.gpus}")
    if args.cpus_per_worker is not None and not args.cpus_per_worker > 0:
        raise SamicError(f"--cpus-per-worker must be more than 0, got {args.cpus_per_worker}")
    if args.limit is not None and args.limit < 1:
        raise SamicError(f"--limit must be at least 1, got {args.limit}")


def _tile_value(text: str) -> Any:
    """argparse type of --tile: auto, off or a side in px (its error names the flag's rule)."""
    try:
        return parse_tile(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def add_tile_option(parser: argparse._ActionsContainer, help: str, flag: str = "--tile") -> None:
    """--tile auto|off|SIZE (samic_core/tiles/spec.py; docs/model.md, "Big images")."""
    parser.add_argument(flag, type=_tile_value, default="auto", metavar="auto|off|SIZE", help=help)
