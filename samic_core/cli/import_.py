"""`samic import SRC --format F --into FOLDER`: COCO or LabelMe labels into SAMBOX annotations."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from samic_core.cli.options import progress_bar
from samic_core.export import IMPORT_FORMATS, import_folder


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import",
        help="import COCO or LabelMe labels into an image folder's annotations",
        description=(
            "Objects become manual objects with masks and no prompts. The source is checked "
            "first (its images must be in FOLDER, by file name, with the stated size), so bad "
            "input writes nothing. Images that already have an annotation are skipped and "
            "listed unless --overwrite."
        ),
    )
    p.add_argument(
        "src",
        type=Path,
        metavar="SRC",
        help="coco: an instances JSON file; labelme: a folder of LabelMe JSONs or one JSON",
    )
    p.add_argument("--format", required=True, choices=IMPORT_FORMATS, dest="fmt")
    p.add_argument(
        "--into",
        type=Path,
        required=True,
        metavar="FOLDER",
        help="image folder holding the images; annotations go to FOLDER/annotations/",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace existing annotations of the imported images (skipped by default)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with progress_bar(f"import {args.fmt}") as progress:
        report = import_folder(
            args.src, args.fmt, args.into, overwrite=args.overwrite, progress=progress
        )
    sys.stdout.write(
        f"{report.images} images, {report.objects} objects -> {args.into / 'annotations'}\n"
    )
    for w in report.warnings:
        sys.stderr.write(f"  warning: {w}\n")
    if report.skipped_existing:
        sys.stderr.write(
            f"  {len(report.skipped_existing)} images already annotated, not overwritten "
            f"(--overwrite replaces them): {', '.join(report.skipped_existing)}\n"
        )
    return 0
