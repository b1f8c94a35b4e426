"""`samic predict`: auto-annotate a folder with a trained SAMIC model and SAM."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from samic_core.annotation import AnnotationStore
from samic_core.cli import STARTED
from samic_core.cli.options import (
    add_peak_options,
    add_sam_options,
    add_scale_options,
    check_scale_options,
    engine_from_args,
    peak_rule_from_args,
    progress_bar,
)
from samic_core.errors import SamicError
from samic_core.fileio import list_images
from samic_core.predict.pipeline import LOADERS, auto_annotate_classes
from samic_core.predict.predictor import SamicPredictor
from samic_core.predict.references import (
    DEFAULT_SHOTS,
    choose_references,
    encode_class_references,
)
from samic_core.predict.saving import AutoAnnotateReport


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "predict",
        help="auto-annotate images: SAMIC point prompts from references, masks from SAM",
        description=(
            "Writes SAMBOX annotations (source 'predicted', not reviewed) for every image of "
            "--images. Images with any manual or reviewed object, or marked done, are skipped, "
            "never changed."
        ),
    )
    p.add_argument("--model", type=Path, required=True, help="model file from `samic train`")
    p.add_argument(
        "--refs", type=Path, required=True, help="annotated folder to take references from"
    )
    p.add_argument("--images", type=Path, required=True, help="folder of images to annotate")
    p.add_argument(
        "--shots", type=int, default=DEFAULT_SHOTS,
        help=f"K references per class (default {DEFAULT_SHOTS})",
    )  # fmt: skip
    p.add_argument(
        "--class", dest="class_name", metavar="NAME", help="only this class (default: all the "
        "model's classes)"
    )  # fmt: skip
    p.add_argument("--out", type=Path, help="annotation folder (default: IMAGES/annotations)")
    add_peak_options(p)
    p.add_argument("--one-prompt", action="store_true", help="send all peaks to SAM as one object")
    add_sam_options(p)
    g = p.add_argument_group("pipeline (docs/model.md, 'Pipeline')")
    g.add_argument(
        "--batch-size", type=int, default=None, metavar="N",
        help="images per SAMIC and SAM-encoder pass (default: 8 on CUDA, 1 on CPU)",
    )  # fmt: skip
    g.add_argument(
        "--loaders", type=int, default=LOADERS, metavar="N",
        help=f"threads that read and resize the next images (default {LOADERS})",
    )  # fmt: skip
    add_scale_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    check_scale_options(args)
    if args.shots < 1:
        raise SamicError("--shots must be at least 1")
    for option, value in (("--batch-size", args.batch_size), ("--loaders", args.loaders)):
        if value is not None and value < 1:
            raise SamicError(f"{option} must be at least 1, got {value}")
    for option, folder in (("--images", args.images), ("--refs", args.refs)):
        if not folder.is_dir():
            raise SamicError(f"{folder}: not a folder (the {option} option needs an image folder)")
    if args.out is not None and args.out.exists() and not args.out.is_dir():
        raise SamicError(f"{args.out}: not a folder (--out needs an annotation folder)")
    predictor = SamicPredictor.from_file(args.model, args.device, precision=args.precision)
    model_classes = list(predictor.meta.classes) if predictor.meta is not None else []
    classes = [args.class_name] if args.class_name else model_classes
    ref_store = AnnotationStore(args.refs)
    references = {}
    for c in classes:
        references[c] = choose_references(ref_store, c, k=args.shots)
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
        c: encode_class_references(predictor, ref_store, c, refs) for c, refs in references.items()
    }
    label = classes[0] if len(classes) == 1 else f"{len(classes)} classes"
    run_started = time.perf_counter()
    with progress_bar(f"predicting {label}") as progress:
        reports = auto_annotate_classes(
            predictor, engine, images, store, sets, progress, one_prompt=args.one_prompt,
            rule=rule, batch_size=args.batch_size, loaders=args.loaders,
        )  # fmt: skip
    for c, report in reports.items():
        _print_summary(c, len(references[c]), report, store.dir)
    _print_timing(next(iter(reports.values()), None), len(images), run_started)
    return 1 if any(r.failed for r in reports.values()) else 0


def _print_timing(report: AutoAnnotateReport | None, images: int, run_started: float) -> None:
    """Images per second, and when the first annotation was written after the command began."""
    if report is None or report.seconds <= 0:
        return
    line = f"{images} images in {report.seconds:.1f} s ({images / report.seconds:.2f} images/s)"
    if report.first_write_s is not None:
        first = run_started - STARTED + report.first_write_s
        line += f"; first annotation written {first:.1f} s after the command started"
    sys.stdout.write(line + "\n")


def _print_summary(label: str, refs: int, report: AutoAnnotateReport, out: Path) -> None:
    """One line per class (written / empty / protected / failed), then each failure's error."""
    sys.stdout.write(
        f"{label}: {refs} references; {len(report.written)} images annotated "
        f"({report.objects} objects), {len(report.empty)} with nothing found, "
        f"{len(report.skipped_protected)} skipped (manual, reviewed or done), "
        f"{len(report.failed)} failed -> {out}\n"
    )
    for name, err in report.failed:
        sys.stderr.write(f"  {name}: {err}\n")
