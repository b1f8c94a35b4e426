"""`samic to-sambox`: turn a mask dataset into a SAMBOX annotated folder (to train SAMIC on)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from samic_core.cli.options import progress_bar
from samic_core.cli.parsing import add_command, add_input, required_input
from samic_core.errors import SamicError
from samic_core.eval.datasets import FewShotDataset, read_dataset
from samic_core.eval.prompts import PromptRule
from samic_core.eval.to_sambox import export_sambox
from samic_core.text import counted
from samic_core.train.episodes import MIN_IMAGES_PER_CLASS


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub, "to-sambox",
        help="convert a mask dataset (FSS-1000, PerSeg, folder, COCO-20i, Pascal-5i, DAVIS) into "
        "a SAMBOX annotated folder",
        usage="%(prog)s DATASET --format FORMAT --out FOLDER [options]",
        description="Copies the images into FOLDER (--out) and writes one object per connected "
        "component of each mask, with clicks placed by --ref-rule, as SAMBOX annotations: a "
        "folder `samic train` and the app read.",
        examples=[
            "samic to-sambox fss1000/ --format fss --split-file trn.txt --out fss_train/",
            "samic to-sambox coco/ --format coco20i --fold 0 --fraction 0.2 --out coco_f0/",
            "samic to-sambox davis/ --format davis --year 2017 --out davis_train/",
        ],
    )  # fmt: skip
    add_input(p, "dataset", "DATASET", "dataset folder", old_option="--dataset")
    p.add_argument(
        "--format",
        choices=("fss", "perseg", "folder", "coco20i", "pascal5i", "davis"),
        required=True,
        help="coco20i / pascal5i: the training side of --fold (the other classes, train images)",
    )
    p.add_argument("--fold", type=int, choices=range(4), help="coco20i / pascal5i fold")
    p.add_argument(
        "--year", type=int, choices=(2016, 2017), help="davis: the year whose train list to read"
    )
    p.add_argument(
        "--frames-per-sequence",
        type=int,
        metavar="N",
        default=10,
        help="davis: evenly spaced frames per training sequence, one class per object",
    )
    p.add_argument(
        "--split-file", type=Path, metavar="FILE", help="only the classes listed (one per line)"
    )
    p.add_argument(
        "--all-sequences",
        action="store_true",
        help="davis without a train list: convert every annotated sequence, validation ones "
        "too (they then cannot be used to evaluate a model trained on this folder)",
    )
    p.add_argument(
        "--out", type=Path, required=True, metavar="FOLDER", help="new (or empty) folder"
    )
    p.add_argument(
        "--max-images-per-class",
        type=int,
        metavar="N",
        help="only the first N images of each class (the paper trains on 20 %%: 2 of 10)",
    )
    p.add_argument(
        "--fraction",
        type=float,
        metavar="F",
        help="only the first ceil(F x n) images of each class (e.g. 0.2 for the paper's 20 %%)",
    )
    p.add_argument(
        "--ref-rule",
        type=PromptRule.parse,
        metavar="RULE",
        default=PromptRule(),
        help="click rule: interior[:N] (default interior:3) or centroid",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    required_input(args.dataset, "DATASET (the dataset folder)")
    if args.format == "davis":
        from samic_core.eval.davis import davis_training_frames, read_davis

        if args.year is None:
            raise SamicError("--format davis needs --year 2016 or 2017")
        davis = read_davis(
            args.dataset, args.year, args.split_file, split="train",
            all_sequences=args.all_sequences,
        )  # fmt: skip
        dataset: FewShotDataset = davis_training_frames(davis, args.frames_per_sequence)
    else:
        if args.all_sequences:
            raise SamicError("--all-sequences is for --format davis")
        split = "trn" if args.format in ("coco20i", "pascal5i") else "val"
        dataset = read_dataset(args.dataset, args.format, args.split_file, args.fold, split)
    if args.max_images_per_class is not None and args.max_images_per_class < MIN_IMAGES_PER_CLASS:
        sys.stderr.write(
            f"note: `samic train` needs at least {MIN_IMAGES_PER_CLASS} images per class; this "
            "folder can serve as references but not as training data (for PerSeg, train on "
            "FSS-1000 as docs/evaluation.md shows)\n"
        )
    with progress_bar("to-sambox") as progress:
        store = export_sambox(
            dataset,
            args.out,
            args.ref_rule,
            progress=progress,
            max_images_per_class=args.max_images_per_class,
            fraction=args.fraction,
        )
    classes = counted(len(dataset.classes), "class", "classes")
    sys.stdout.write(f"wrote {classes} to {store.image_folder}\n")
    return 0
