"""`samic import FOLDER --format F --from SRC`: COCO or LabelMe labels into SAMBOX annotations."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from samic_core.cli.options import progress_bar
from samic_core.cli.parsing import Once, add_command, add_input, required_input
from samic_core.errors import SamicError
from samic_core.export import IMPORT_FORMATS, import_folder
from samic_core.text import counted


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub, "import",
        help="import COCO or LabelMe labels into an image folder's annotations",
        usage=f"%(prog)s FOLDER --format {{{','.join(IMPORT_FORMATS)}}} --from SRC [--overwrite]",
        description=(
            "Objects become manual objects with masks and no prompts. The source is checked "
            "first (its images must be in FOLDER, by file name, with the stated size), so bad "
            "input writes nothing. Images that already have an annotation are skipped and "
            "listed unless --overwrite.\n\n"
            "The older form `samic import SRC --format F --into FOLDER` still works."
        ),
        examples=[
            "samic import photos/ --format coco --from instances.json",
            "samic import photos/ --format labelme --from labelme_jsons/ --overwrite",
        ],
    )  # fmt: skip
    add_input(p, "folder", "FOLDER", "image folder holding the images; annotations go to "
              "FOLDER/annotations/")  # fmt: skip
    p.add_argument(
        "--format", required=True, choices=IMPORT_FORMATS, dest="fmt", help="label format to read"
    )
    p.add_argument(
        "--from", dest="src", type=Path, metavar="SRC", action=Once, names=("--from", "SRC"),
        help="coco: an instances JSON file; labelme: a folder of LabelMe JSONs or one JSON",
    )  # fmt: skip
    p.add_argument(  # the older spelling: `import SRC --into FOLDER`
        "--into", type=Path, metavar="FOLDER", help=argparse.SUPPRESS
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace existing annotations of the imported images (skipped by default)",
    )
    p.set_defaults(func=run)


def source_and_folder(args: argparse.Namespace) -> tuple[Path, Path]:
    """(SRC, FOLDER) from `FOLDER --from SRC` or from the older `SRC --into FOLDER`."""
    folder, src = args.folder, args.src
    if args.into is not None:  # the older form: the first argument is the source
        if folder is not None and src is not None:
            raise SamicError("give the source once: `FOLDER --from SRC` (or `SRC --into FOLDER`)")
        folder, src = args.into, src if src is not None else folder
    folder = required_input(folder, "FOLDER (the image folder to import into)")
    src = required_input(src, "--from SRC (the labels to import)")
    return src, folder


def run(args: argparse.Namespace) -> int:
    src, folder = source_and_folder(args)
    if not folder.is_dir():
        raise SamicError(f"{folder}: not a folder (FOLDER must be the image folder)")
    with progress_bar(f"import {args.fmt}") as progress:
        report = import_folder(src, args.fmt, folder, overwrite=args.overwrite, progress=progress)
    images, objects = counted(report.images, "image"), counted(report.objects, "object")
    sys.stdout.write(f"{images}, {objects} -> {folder / 'annotations'}\n")
    for w in report.warnings:
        sys.stderr.write(f"  warning: {w}\n")
    if report.skipped_existing:
        existing = counted(len(report.skipped_existing), "image")
        sys.stderr.write(
            f"  {existing} already annotated, not overwritten "
            f"(--overwrite replaces them): {', '.join(report.skipped_existing)}\n"
        )
    return 0
