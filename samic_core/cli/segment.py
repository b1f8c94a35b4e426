"""`samic segment IMAGE`: one SAM decode from points and/or a box, using the cache."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from samic_core.cli.options import add_sam_options, engine_from_args
from samic_core.cli.parsing import add_command
from samic_core.errors import SamicError
from samic_core.fileio import atomic_write_image
from samic_core.sam.types import Prompt


def _point(text: str) -> tuple[float, float, int]:
    parts = text.split(",")
    if len(parts) not in (2, 3):
        raise argparse.ArgumentTypeError(f"point must be X,Y or X,Y,LABEL, got {text!r}")
    try:
        x, y = float(parts[0]), float(parts[1])
        label = int(parts[2]) if len(parts) == 3 else 1
    except ValueError:
        raise argparse.ArgumentTypeError(f"point must be numbers, got {text!r}") from None
    if label not in (0, 1):
        raise argparse.ArgumentTypeError(f"point label must be 0 or 1, got {label}")
    return x, y, label


def _box(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"box must be x0,y0,x1,y1, got {text!r}") from None
    if len(values) != 4:
        raise argparse.ArgumentTypeError(f"box must be x0,y0,x1,y1, got {text!r}")
    return values


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub, "segment",
        help="segment one object of an image from point/box prompts",
        usage="%(prog)s IMAGE (--point X,Y[,1|0] ... | --box X0,Y0,X1,Y1) --out MASK [options]",
        description="One SAM decode (the embedding from the cache when there) written as a "
        "0/255 mask PNG; prints SAM's predicted IoU.",
        examples=[
            "samic segment photo.jpg --point 120,80 --out mask.png",
            "samic segment photo.jpg --point 120,80 --point 30,40,0 --box 90,50,200,160 "
            "--out mask.png",
        ],
    )  # fmt: skip
    p.add_argument("image", type=Path, metavar="IMAGE", help="image file")
    p.add_argument(
        "--point",
        type=_point,
        action="append",
        default=[],
        metavar="X,Y[,1|0]",
        help="prompt point in image pixels; label 1 = object (default), 0 = background",
    )
    p.add_argument(
        "--box", type=_box, metavar="X0,Y0,X1,Y1", help="prompt box in image pixels (corners)"
    )
    p.add_argument(
        "--multimask",
        choices=("auto", "yes", "no"),
        default="auto",
        help="auto: SAM's 3 candidates for a single click, one mask otherwise",
    )
    p.add_argument(
        "--out", type=Path, required=True, metavar="MASK", help="mask PNG to write (0 / 255)"
    )
    add_sam_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.point and args.box is None:
        raise SamicError("give at least one --point or a --box")
    if not args.image.is_file():
        raise SamicError(f"{args.image}: image file does not exist")
    engine = engine_from_args(args)
    emb, _ = engine.embed_file(args.image)
    pts = np.array([(x, y) for x, y, _ in args.point], np.float64).reshape(-1, 2)
    labels = np.array([lab for _, _, lab in args.point], np.int64)
    prompt = Prompt.from_points(pts, labels, args.box)
    multimask = {"auto": None, "yes": True, "no": False}[args.multimask]
    result = engine.decode(emb, prompt, multimask=multimask)
    atomic_write_image(args.out, result.mask.astype(np.uint8) * 255)
    sys.stdout.write(f"predicted IoU {result.score:.4f}  ({int(result.mask.sum())} pixels)\n")
    return 0
