"""`samic embed FOLDER`: precompute SAM embeddings for every image in a folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from samic_core.cli.options import (
    add_sam_options,
    add_scale_options,
    add_tile_option,
    check_scale_options,
    engine_from_args,
    progress_bar,
)
from samic_core.cli.parsing import add_command
from samic_core.embed import EmbedReport, embed_folder
from samic_core.errors import SamicError
from samic_core.fileio import list_images


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub, "embed",
        help="precompute SAM embeddings of a folder into the cache",
        usage="%(prog)s FOLDER [options]",
        description="Encodes every image of FOLDER with SAM into the embedding cache the app "
        "and the other commands share, so that clicks answer at once. Skips images already "
        "cached; safe to interrupt and run again.",
        examples=[
            "samic embed photos/",
            "samic embed photos/ --device cuda --precision bf16",
            "samic embed photos/ --ray auto --gpus 4",
        ],
    )  # fmt: skip
    p.add_argument("folder", type=Path, metavar="FOLDER", help="image folder")
    add_sam_options(p)
    add_tile_option(
        p, "SAM's tiles of big images: auto = 1024 px tiles (each encoded at full resolution, "
        "for clicks on small objects) for images over 4096 px on a side, off, or a side in px",
    )  # fmt: skip
    add_scale_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    check_scale_options(args)
    if args.no_cache:
        raise SamicError("--no-cache makes `samic embed` pointless: it only fills the cache")
    if not args.folder.is_dir():
        raise SamicError(f"{args.folder}: not a folder")
    images = list_images(args.folder)[: args.limit]
    if args.ray is not None:  # Ray is imported only here
        from samic_core.scale.ray_embed import run_embed

        report, cache_root = run_embed(args, images)
        return _print_summary(report, cache_root)
    engine = engine_from_args(args)
    with progress_bar("embedding") as progress:
        report = embed_folder(engine, args.folder, progress, order=images, tile=args.tile)
    return _print_summary(report, engine.cache.root if engine.cache else "")


def _print_summary(report: EmbedReport, cache_root: object) -> int:
    sys.stdout.write(
        f"{report.encoded} encoded, {report.cached} already cached, {len(report.failed)} failed "
        f"-> {cache_root}\n"
    )
    for name, err in report.failed:
        sys.stderr.write(f"  {name}: {err}\n")
    return 1 if report.failed else 0
