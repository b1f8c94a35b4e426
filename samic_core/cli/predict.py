"""`samic predict FOLDER --model MODEL`: auto-annotate a folder with a SAMIC model and SAM."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from samic_core.annotation import AnnotationStore
from samic_core.cli import STARTED
from samic_core.cli.options import (
    add_backbone_weights_option,
    add_peak_options,
    add_sam_options,
    add_scale_options,
    add_tile_option,
    check_scale_options,
    engine_from_args,
    peak_rule_from_args,
    progress_bar,
)
from samic_core.cli.parsing import add_command, add_input, required_input
from samic_core.errors import SamicError
from samic_core.fileio import list_images
from samic_core.modelfile.meta import read_model_meta
from samic_core.predict.pipeline import LOADERS, Tiling, auto_annotate_classes
from samic_core.predict.predictor import SamicPredictor
from samic_core.predict.references import (
    DEFAULT_SHOTS,
    choose_references,
    encode_class_references,
)
from samic_core.predict.saving import AutoAnnotateReport
from samic_core.text import counted


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub, "predict",
        help="auto-annotate a folder: SAMIC point prompts from references, masks from SAM",
        usage="%(prog)s FOLDER --model MODEL [--refs REFS] [--out ANNOTATIONS] [options]",
        description="Writes SAMBOX annotations (source 'predicted', not reviewed) for every image "
        "of FOLDER; review them in the SAMBOX app. Images with any manual or reviewed object, or "
        "marked done, are skipped, never changed.",
        examples=[
            "samic predict photos/ --model photos/annotations/models/samic-20250102-0304.samic",
            "samic predict new_photos/ --refs photos/ --model cells.samic --class cell",
            "samic predict photos/ --model cells.samic --device cuda --batch-size 16",
        ],
    )  # fmt: skip
    add_input(p, "folder", "FOLDER", "folder of images to annotate", old_option="--images")
    p.add_argument("--model", type=Path, required=True, help="model file from `samic train`")
    p.add_argument(
        "--refs", type=Path, metavar="REFS",
        help="annotated folder to take the references from (default: FOLDER itself)",
    )  # fmt: skip
    p.add_argument(
        "--shots", type=int, default=DEFAULT_SHOTS, metavar="K", help="references per class"
    )  # fmt: skip
    p.add_argument(
        "--class", dest="class_name", metavar="NAME", help="only this class (default: all the "
        "model's classes)"
    )  # fmt: skip
    p.add_argument(
        "--out", type=Path, metavar="ANNOTATIONS",
        help="annotation folder to write (default: FOLDER/annotations, where the app reads them)",
    )  # fmt: skip
    add_backbone_weights_option(p)
    add_peak_options(p)
    p.add_argument("--one-prompt", action="store_true", help="send all peaks to SAM as one object")
    add_tile_option(
        p, "SAMIC's tiles of big images: auto = the tile side the model was trained on (a model "
        "trained on whole images looks at whole images), off, or a side in pixels",
    )  # fmt: skip
    add_sam_options(p)
    add_tile_option(
        p, "SAM's tiles: auto = 1024 px tiles for images over 4096 px on a side, off, or a side",
        flag="--sam-tile",
    )  # fmt: skip
    g = p.add_argument_group("pipeline (docs/model.md, 'Pipeline'; not with --ray)")
    g.add_argument(
        "--batch-size", type=int, default=None, metavar="N",
        help="images per SAMIC and SAM-encoder pass (default: 8 on CUDA, 1 on CPU)",
    )  # fmt: skip
    g.add_argument(
        "--loaders", type=int, default=None, metavar="N",
        help=f"threads that read and resize the next images (default {LOADERS})",
    )  # fmt: skip
    add_scale_options(p)
    p.set_defaults(func=run)


def folders(args: argparse.Namespace) -> tuple[Path, Path]:
    """(the folder to annotate, the folder the references come from: REFS, else FOLDER)."""
    folder = required_input(args.folder, "FOLDER (the folder of images to annotate)")
    return folder, args.refs if args.refs is not None else folder


def check_args(args: argparse.Namespace) -> None:
    """Refuse flag values and folders no run can use, before anything is loaded."""
    check_scale_options(args)
    if args.shots < 1:
        raise SamicError(f"--shots must be at least 1, got {args.shots}")
    for option, value in (("--batch-size", args.batch_size), ("--loaders", args.loaders)):
        if value is not None and value < 1:
            raise SamicError(f"{option} must be at least 1, got {value}")
        if value is not None and args.ray is not None:  # Ray actors take one image at a time
            raise SamicError(
                f"{option} only applies without --ray (Ray reads and batches images itself; "
                "--cpus-per-worker and --gpus size its pool)"
            )
    for what, folder in zip(("FOLDER", "--refs"), folders(args), strict=True):
        if not folder.is_dir():
            raise SamicError(f"{folder}: not a folder ({what} must be an image folder)")
    if args.out is not None and args.out.exists() and not args.out.is_dir():
        raise SamicError(f"{args.out}: not a folder (--out needs an annotation folder)")


def run(args: argparse.Namespace) -> int:
    check_args(args)
    refs_given = args.refs is not None
    args.images, args.refs = folders(args)  # the names the Ray driver reads
    meta = read_model_meta(args.model)  # checked, and the references found, before building
    classes = [args.class_name] if args.class_name else list(meta.classes)
    ref_store = AnnotationStore(args.refs)
    references = {}
    for c in classes:
        try:
            references[c] = choose_references(ref_store, c, k=args.shots)
        except SamicError as e:
            if refs_given:
                raise
            raise SamicError(f"{e}; or take them from another folder with --refs REFS") from e
    predictor = SamicPredictor.from_file(
        args.model, args.device, backbone_weights=args.backbone_weights, precision=args.precision
    )
    store = AnnotationStore(args.images, args.out)
    images = list_images(args.images)[: args.limit]
    rule = peak_rule_from_args(args, predictor.default_rule)
    if args.ray is not None:  # Ray is imported only here
        from samic_core.scale.ray_predict import run_predict

        reports, resumed = run_predict(args, references, images, rule, store.dir)
        for c, report in reports.items():
            _print_summary(c, len(references[c]), report, store.dir)
        if resumed:
            sys.stdout.write(f"({resumed} of the images were finished by an earlier run)\n")
        return 1 if any(r.failed for r in reports.values()) else 0
    engine = engine_from_args(args)
    sets = {
        c: encode_class_references(predictor, ref_store, c, refs, args.tile)
        for c, refs in references.items()
    }
    label = classes[0] if len(classes) == 1 else f"{len(classes)} classes"
    run_started = time.perf_counter()
    with progress_bar(f"predicting {label}") as progress:
        reports = auto_annotate_classes(
            predictor, engine, images, store, sets, progress, one_prompt=args.one_prompt,
            rule=rule, batch_size=args.batch_size, loaders=args.loaders or LOADERS,
            tiling=Tiling(args.tile, args.sam_tile, predictor.tile),
        )  # fmt: skip
    for c, report in reports.items():
        _print_summary(c, len(references[c]), report, store.dir)
    _print_timing(next(iter(reports.values()), None), len(images), run_started)
    return 1 if any(r.failed for r in reports.values()) else 0


def _print_timing(report: AutoAnnotateReport | None, images: int, run_started: float) -> None:
    """Images per second, and when the first annotation was written after the command began."""
    if report is None or report.seconds <= 0:
        return
    rate = f"{images / report.seconds:.2f} images/s"
    line = f"{counted(images, 'image')} in {report.seconds:.1f} s ({rate})"
    if report.first_write_s is not None:
        first = run_started - STARTED + report.first_write_s
        line += f"; first annotation written {first:.1f} s after the command started"
    sys.stdout.write(line + "\n")


def _print_summary(label: str, refs: int, report: AutoAnnotateReport, out: Path) -> None:
    """One line per class (written / empty / protected / failed), then each failure's error."""
    sys.stdout.write(
        f"{label}: {counted(refs, 'reference')}; {counted(len(report.written), 'image')} "
        f"annotated ({counted(report.objects, 'object')}), {len(report.empty)} with nothing found, "
        f"{len(report.skipped_protected)} skipped (manual, reviewed or done), "
        f"{len(report.failed)} failed -> {out}\n"
    )
    for name, err in report.failed:
        sys.stderr.write(f"  {name}: {err}\n")
