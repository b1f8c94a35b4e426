"""`samic predict`: auto-annotate a folder with a trained SAMIC model and SAM."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from samic_core.annotation import AnnotationStore
from samic_core.cli.options import (
    add_peak_options,
    add_sam_options,
    engine_from_args,
    peak_rule_from_args,
    progress_bar,
)
from samic_core.errors import SamicError
from samic_core.fileio import list_images
from samic_core.predict.autoannotate import auto_annotate
from samic_core.predict.predictor import SamicPredictor
from samic_core.predict.references import DEFAULT_SHOTS, choose_references, use_references


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
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.shots < 1:
        raise SamicError("--shots must be at least 1")
    for option, folder in (("--images", args.images), ("--refs", args.refs)):
        if not folder.is_dir():
            raise SamicError(f"{folder}: not a folder (the {option} option needs an image folder)")
    if args.out is not None and args.out.exists() and not args.out.is_dir():
        raise SamicError(f"{args.out}: not a folder (--out needs an annotation folder)")
    predictor = SamicPredictor.from_file(args.model, args.device)
    model_classes = list(predictor.meta.classes) if predictor.meta is not None else []
    classes = [args.class_name] if args.class_name else model_classes
    ref_store = AnnotationStore(args.refs)
    references = {}
    for c in classes:
        references[c] = choose_references(ref_store, c, k=args.shots)
    engine = engine_from_args(args)
    store = AnnotationStore(args.images, args.out)
    images = list_images(args.images)
    rule = peak_rule_from_args(args, predictor.default_rule)
    failed = 0
    for c, refs in references.items():
        use_references(predictor, ref_store, c, refs)
        with progress_bar(f"predicting {c}") as progress:
            report = auto_annotate(
                predictor, engine, images, store, c, progress,
                one_prompt=args.one_prompt, rule=rule,
            )  # fmt: skip
        sys.stdout.write(
            f"{c}: {len(refs)} references; {len(report.written)} images annotated "
            f"({report.objects} objects), {len(report.empty)} with nothing found, "
            f"{len(report.skipped_protected)} skipped (manual, reviewed or done), "
            f"{len(report.failed)} failed -> {store.dir}\n"
        )
        for name, err in report.failed:
            sys.stderr.write(f"  {name}: {err}\n")
        failed += len(report.failed)
    return 1 if failed else 0
