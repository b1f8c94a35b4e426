"""`samic synth --out OUT`: generate a synthetic few-shot dataset in FSS-1000 layout."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from samic_core.cli.options import progress_bar
from samic_core.cli.parsing import Once, add_command, old_spelling, required_input
from samic_core.eval.synth import generate_dataset


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub, "synth",
        help="generate a synthetic few-shot dataset (FSS-1000 layout) for tests and benchmarks",
        usage="%(prog)s --out OUT [--classes N] [--images-per-class N] [--seed N] [--size PX]",
        description="Writes OUT/<class>/<n>.jpg + <n>.png masks and OUT/splits/{trn,val,test}.txt. "
        "Each class is a textured shape of its own colour, shown 1-3 times among distractors.",
        examples=[
            "samic synth --out synth/",
            "samic synth --out synth/ --classes 5 --images-per-class 4 --size 64",
        ],
    )  # fmt: skip
    p.add_argument("--out", type=Path, action=Once, names=("--out", "OUT"),
                   help="new (or empty) folder to write")  # fmt: skip
    old_spelling(p, "out", "--out", nargs="?", type=Path)  # `samic synth OUT`
    p.add_argument("--classes", type=int, default=20, metavar="N", help="number of classes")
    p.add_argument(
        "--images-per-class", type=int, default=10, metavar="N", help="images of each class"
    )
    p.add_argument(
        "--seed", type=int, default=0, metavar="N", help="seed of the shapes, colours and places"
    )
    p.add_argument("--size", type=int, default=224, metavar="PX", help="image side in pixels")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    out = required_input(args.out, "--out OUT (the folder to write)")
    with progress_bar("synth") as progress:
        specs = generate_dataset(
            out, args.classes, args.images_per_class, args.seed, args.size, progress
        )
    sys.stdout.write(f"wrote {len(specs)} classes x {args.images_per_class} images to {out}\n")
    return 0
