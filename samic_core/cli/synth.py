"""`samic synth OUT`: generate a synthetic few-shot dataset in FSS-1000 layout."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from samic_core.cli.options import progress_bar
from samic_core.eval.synth import generate_dataset


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "synth",
        help="generate a synthetic few-shot dataset (FSS-1000 layout) for tests and benchmarks",
        description="Writes OUT/<class>/<n>.jpg + <n>.png masks and OUT/splits/{trn,val,test}.txt. "
        "Each class is a textured shape of its own colour, shown 1-3 times among distractors.",
    )
    p.add_argument("out", type=Path, help="new (or empty) folder")
    p.add_argument("--classes", type=int, default=20)
    p.add_argument("--images-per-class", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--size", type=int, default=224, help="image side in pixels")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with progress_bar("synth") as progress:
        specs = generate_dataset(
            args.out, args.classes, args.images_per_class, args.seed, args.size, progress
        )
    sys.stdout.write(f"wrote {len(specs)} classes x {args.images_per_class} images to {args.out}\n")
    return 0
