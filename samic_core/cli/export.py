"""`samic export FOLDER --format F --out OUT`: annotations to COCO, VOC, YOLO or LabelMe."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from samic_core.cli.options import progress_bar
from samic_core.cli.parsing import add_command
from samic_core.export import EXPORT_FORMATS, export_descriptions, export_folder
from samic_core.text import counted, verb


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub, "export",
        help="export a folder's annotations as COCO, Pascal VOC, YOLO segmentation or LabelMe",
        usage=f"%(prog)s FOLDER --format {{{','.join(EXPORT_FORMATS)}}} --out OUT [options]",
        description=(
            "Writes OUT all at once: on any error nothing is left in OUT. Images are copied in. "
            "coco: OUT/instances.json + OUT/images/. voc: JPEGImages/, SegmentationClass/, "
            "SegmentationObject/ (palette PNGs), class_names.txt, labelmap.txt. yolo: images/, "
            "labels/*.txt, data.yaml. labelme: one JSON beside each image. See docs/export.md."
        ),
        examples=[
            "samic export photos/ --format coco --out photos_coco/",
            "samic export photos/ --format yolo --out photos_yolo/ --include-unreviewed",
        ],
    )  # fmt: skip
    p.add_argument("folder", type=Path, metavar="FOLDER", help="image folder annotated with SAMBOX")
    p.add_argument(
        "--format", required=True, choices=EXPORT_FORMATS, dest="fmt",
        help="label format to write: "
        + "; ".join(f"{name}: {text}" for name, text in export_descriptions().items()),
    )  # fmt: skip
    p.add_argument("--out", type=Path, required=True, help="output folder (new or empty)")
    p.add_argument(
        "--include-unreviewed",
        action="store_true",
        help="also export predicted objects nobody has reviewed (left out by default)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace a non-empty OUT")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with progress_bar(f"export {args.fmt}") as progress:
        report = export_folder(
            args.folder,
            args.fmt,
            args.out,
            include_unreviewed=args.include_unreviewed,
            overwrite=args.overwrite,
            progress=progress,
        )
    images, objects = counted(report.images, "image"), counted(report.objects, "object")
    sys.stdout.write(f"{images}, {objects} -> {report.out}\n")
    if report.rle_objects:
        rle = counted(report.rle_objects, "object")
        sys.stdout.write(f"  {rle} with holes written as RLE\n")
    if report.excluded_unreviewed:
        sys.stdout.write(
            f"  {counted(report.excluded_unreviewed, 'unreviewed predicted object')} left out "
            "(--include-unreviewed keeps them)\n"
        )
    if report.skipped_images:
        skipped = counted(len(report.skipped_images), "image")
        sys.stdout.write(f"  {skipped} skipped: only unreviewed predictions\n")
    if report.unannotated_images:
        n = report.unannotated_images
        sys.stdout.write(f"  {counted(n, 'image')} {verb(n, 'has', 'have')} no annotation\n")
    for name in report.empty_objects:
        sys.stderr.write(f"  {name}: object has no pixels; left out\n")
    return 0
