"""`samic train FOLDER [--out MODEL]`: train the SAMIC prompt predictor on an annotated folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from samic_core.annotation import AnnotationStore
from samic_core.annotation.layout import MODEL_SUFFIX, default_model_name, model_path, models_dir
from samic_core.cli.options import LazyBar, add_device_option, add_tile_option
from samic_core.cli.parsing import add_command
from samic_core.config import EARLY_STOP, TRAIN_SCHEDULES
from samic_core.errors import SamicError
from samic_core.loss_terms import LOSS_TERMS, parse_loss_terms
from samic_core.model.backbone import BACKBONES
from samic_core.model.correlation import SUPPORT_RESIZE_MODES
from samic_core.model.learner import SQUEEZE_DEPTHS
from samic_core.model.samic_net import OUTPUTS
from samic_core.modelfile.file import best_path_for, last_path_for
from samic_core.text import counted
from samic_core.train.schedule import SCHEDULES
from samic_core.train.trainer import TrainConfig, TrainProgress, TrainResult, train


def register(sub: argparse._SubParsersAction) -> None:
    d = TrainConfig("", "")
    p = add_command(
        sub, "train",
        help="train the in-context prompt predictor on a SAMBOX-annotated folder",
        usage="%(prog)s FOLDER [--out MODEL] [--classes NAME ...] [--epochs N] [options]",
        description=(
            "Writes MODEL (the best epoch: with the auto schedule, the one whose validation "
            "images get the best prompts, else the lowest validation loss, or training loss "
            "when the folder is too small to hold images out) and MODEL's '.last' sibling (e.g. "
            "cells.last.samic: the last epoch with its optimizer state, for --resume). Without "
            "--out, MODEL is FOLDER/annotations/models/samic-YYYYmmdd-HHMM.samic, where the "
            "SAMBOX app lists the folder's models."
        ),
        examples=[
            "samic train photos/",
            "samic train photos/ --classes cell nucleus --epochs 100 --device cuda",
            "samic train photos/ --resume photos/annotations/models/samic-20250102-0304.last.samic",
        ],
    )  # fmt: skip
    p.add_argument("folder", type=Path, metavar="FOLDER", help="image folder annotated with SAMBOX")
    p.add_argument(
        "--out", type=Path, metavar="MODEL",
        help="model file to write, any name (e.g. cells.samic; default: a new "
        "samic-YYYYmmdd-HHMM.samic in FOLDER/annotations/models/, or with --resume the model "
        "it continues)",
    )  # fmt: skip
    p.add_argument("--epochs", type=int, default=d.epochs, metavar="N", help="most epochs to train")
    p.add_argument(
        "--batch-size",
        type=int,
        default=d.batch_size,
        metavar="N",
        help="episodes per optimizer step",
    )
    p.add_argument("--lr", type=float, default=d.lr, help="Adam learning rate")
    p.add_argument(
        "--schedule", choices=TRAIN_SCHEDULES, default=d.schedule,
        help="auto (default): several references per target each epoch, keep the epoch whose "
        "validation images get the best prompts (objects found, few false ones), stop when "
        "neither those prompts nor the smoothed validation loss have improved for PATIENCE "
        f"optimizer steps (at least {EARLY_STOP['auto'].min_steps} steps) or at the time "
        "limit, BCE term and empty targets; paper: section 4.2 "
        "as written (one reference per target, stop after PATIENCE epochs without a lower "
        "training loss). Measured in docs/model.md",
    )  # fmt: skip
    p.add_argument(
        "--patience", type=int, default=None, metavar="N",
        help=f"in the schedule's unit: auto {EARLY_STOP['auto'].patience} "
        f"{EARLY_STOP['auto'].unit}, paper {EARLY_STOP['paper'].patience} "
        f"{EARLY_STOP['paper'].unit}",
    )  # fmt: skip
    p.add_argument(
        "--time-limit", type=float, default=None, metavar="MIN",
        help=f"stop before an epoch would end past MIN minutes; 0: no limit (default: auto "
        f"{EARLY_STOP['auto'].time_limit_min:g} on a CPU, none on a GPU; paper none)",
    )  # fmt: skip
    p.add_argument(
        "--image-size", type=int, default=d.image_size, metavar="S", help="S of the S x S input"
    )
    add_tile_option(
        p, "train on tiles of big images: auto = when the objects are small in big images, "
        "tiles sized so an object spans 1/10 of the input (docs/model.md, 'Big images'), off, "
        "or a side in pixels",
    )  # fmt: skip
    add_device_option(p)
    p.add_argument(
        "--backbone", choices=BACKBONES, default=d.backbone, help="frozen feature extractor"
    )
    p.add_argument(
        "--backbone-weights",
        default=d.backbone_weights,
        metavar="imagenet|none|PATH",
        help="imagenet (torchvision, downloaded once), a state-dict file, or none (random; tests)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=d.seed,
        metavar="N",
        help="seed of the split, the episodes and the init",
    )
    p.add_argument(
        "--resume", type=Path, metavar="LAST",
        help="continue from a MODEL.last file (e.g. cells.last.samic)",
    )  # fmt: skip
    p.add_argument(
        "--classes", nargs="+", metavar="NAME", help="train on these classes only (default: all)"
    )
    p.add_argument(
        "--val-fraction", type=float, default=d.val_fraction, metavar="F",
        help="share of the annotated images held out to validate and choose the best epoch",
    )  # fmt: skip
    p.add_argument(
        "--flips", action=argparse.BooleanOptionalAction, default=None,
        help="random horizontal and vertical flips (default: on with --schedule auto, off with "
        "paper; measured in docs/model.md)",
    )  # fmt: skip
    p.add_argument(
        "--presence", action=argparse.BooleanOptionalAction, default=None,
        help="a presence gate that turns the whole map off on an image without the object "
        "(default: on with --schedule auto, off with paper; docs/model.md)",
    )  # fmt: skip
    p.add_argument(
        "--appearance", action=argparse.BooleanOptionalAction, default=None,
        help="an appearance cue: the target's own features beside the correlations, so the "
        "network can learn what tells the object from its look-alikes (default: on with "
        "--schedule auto, off with paper; measured in docs/model.md, 'The appearance cue')",
    )  # fmt: skip
    p.add_argument(
        "--pixel-cue", action=argparse.BooleanOptionalAction, default=None,
        help="a pixel cue: a small stem learned on the images themselves, which sees shape "
        "and fine texture that a frozen backbone's features may lose, so the object is told "
        "from look-alikes of its colour; kept only where the validation images' prompts are "
        "better with it (see --pixel-cue-drop) (default: on with --schedule auto, off with "
        "paper; measured in docs/model.md, 'The pixel cue')",
    )  # fmt: skip
    p.add_argument(
        "--pixel-cue-drop", type=float, default=None, metavar="F",
        help="with the pixel cue: train this share of the samples without it; above 0, the "
        "run keeps the cue only where the validation images' prompts are better with it, and "
        "0 always keeps it (default: 0.5 with --schedule auto, 0 with paper; docs/model.md, "
        "'The pixel cue')",
    )  # fmt: skip
    p.add_argument(
        "--erase", action=argparse.BooleanOptionalAction, default=None,
        help="also train on copies of the images with the objects painted out, as images "
        "without the object (default: on with --schedule auto, off with paper)",
    )  # fmt: skip
    p.add_argument(
        "--jitter", action=argparse.BooleanOptionalAction, default=None,
        help="also train on 3 fixed scale (0.75-1.33x) and colour variants of every image "
        "(default: on with --schedule auto where the run has a pixel cue, off with paper; "
        "docs/model.md, 'The pixel cue by default')",
    )  # fmt: skip
    p.add_argument("--output", choices=OUTPUTS, default=d.output, help=argparse.SUPPRESS)
    p.add_argument(
        "--support-resize", choices=SUPPORT_RESIZE_MODES, default=d.support_resize,
        help=argparse.SUPPRESS,
    )  # fmt: skip
    p.add_argument("--no-feature-cache", action="store_true", help="recompute backbone features")
    p.add_argument("--overwrite", action="store_true", help="replace existing MODEL files")
    # ablations (paper tables 5 and 6); recorded in the model file
    p.add_argument(
        "--squeeze-depth",
        type=int,
        choices=SQUEEZE_DEPTHS,
        default=d.squeeze_depth,
        help="4D conv layers per squeeze block (paper table 5)",
    )
    p.add_argument(
        "--loss-terms",
        type=_loss_terms,
        default=None,
        metavar=",".join(LOSS_TERMS),
        help="comma-separated loss terms to optimise, replacing the schedule's (table 6; "
        f"default: auto {'+'.join(SCHEDULES['auto'].loss_terms)}, paper "
        f"{'+'.join(SCHEDULES['paper'].loss_terms)})",
    )
    p.set_defaults(func=run)


def _loss_terms(text: str) -> tuple[str, ...]:
    try:
        return parse_loss_terms(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from e


def default_out(args: argparse.Namespace) -> Path:
    """MODEL when --out is not given: the file a --resume continues, else a new model in the
    folder's models, named as the app names them (annotation/layout.default_model_name)."""
    if args.resume is not None:
        best = best_path_for(args.resume)
        if best is None:
            raise SamicError(
                f"{args.resume}: not a '.last' file, so the model it continues is unknown; "
                "pass --out MODEL"
            )
        return best
    annotations = AnnotationStore(args.folder).dir
    return model_path(annotations, default_model_name(annotations))


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    return TrainConfig(
        folder=args.folder,
        out=args.out if args.out is not None else default_out(args),
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        patience=args.patience,
        time_limit=args.time_limit,
        tile=args.tile,
        schedule=args.schedule,
        image_size=args.image_size,
        device=args.device,
        backbone=args.backbone,
        backbone_weights=args.backbone_weights,
        seed=args.seed,
        resume=args.resume,
        classes=tuple(args.classes) if args.classes else None,
        val_fraction=args.val_fraction,
        flips=args.flips,
        presence=args.presence,
        appearance=args.appearance,
        pixel_cue=args.pixel_cue,
        pixel_cue_drop=args.pixel_cue_drop,
        erase=args.erase,
        jitter=args.jitter,
        output=args.output,
        support_resize=args.support_resize,
        feature_cache=not args.no_feature_cache,
        overwrite=args.overwrite,
        squeeze_depth=args.squeeze_depth,
        loss_terms=args.loss_terms,
    )


class TrainBar:
    """The training progress bar: whole epochs done of the epoch limit, with this epoch's step
    and the losses beside them; drawn at the first report, so a refused run draws nothing."""

    def __init__(self, file: TextIO | None = None) -> None:
        self.lazy = LazyBar(unit="epoch", desc="training", file=file)

    def __call__(self, p: TrainProgress) -> None:
        done = p.epoch if p.step >= p.steps else p.epoch - 1  # whole epochs completed
        if not self.lazy.started:  # a resumed run starts its count (and rate) where it is
            self.lazy.kwargs.update(total=p.epochs, initial=done)
        bar = self.lazy.bar
        bar.n = done
        post = f"epoch {p.epoch} step {p.step}/{p.steps}, loss {p.train_loss:.3f}"
        if p.val_loss is not None:
            post += f" val {p.val_loss:.3f}"
        if p.best_loss is not None:
            post += f" best {p.best_loss:.3f}"
        bar.set_postfix_str(post, refresh=False)
        bar.refresh()

    def close(self) -> None:
        self.lazy.close()


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    bar = TrainBar()
    try:
        result = train(config, bar)
    finally:
        bar.close()
    sys.stdout.write(summary(result, config))
    return 0


def summary(result: TrainResult, config: TrainConfig) -> str:
    """What was written, truthfully: the best model and its loss, where it is and how to use
    it, the file to resume from."""
    if result.best_path is not None and result.best_val_loss is not None:
        best = f"best loss {result.best_val_loss:.4f}: {result.best_path}"
    else:
        best = "no epoch completed, no model written"
    lines = [f"{counted(result.epochs_run, 'epoch')}, {best}"]
    if result.stop_reason:
        lines.append(f"stopped: {result.stop_reason}")
    if result.best_path is not None and result.best_epoch is not None:
        lines.append(f"the model is epoch {result.best_epoch}")
    if result.best_path is not None and result.best_val_loss is not None:
        lines += _where(result.best_path, config)
    last = result.last_path or last_path_for(config.out)
    kept = "" if result.last_path is not None else " (not written)"
    lines.append(f"last epoch (for --resume): {last}{kept}")
    return "\n".join(lines) + "\n"


def _where(model: Path, config: TrainConfig) -> list[str]:
    """Where the model is and who finds it: the SAMBOX app when it is in the folder's models,
    `samic predict` always (with --model)."""
    annotations = Path(config.annotations or AnnotationStore(config.folder).dir)
    listed = model.parent == models_dir(annotations) and model.name.endswith(MODEL_SUFFIX)
    app = " (the SAMBOX app lists it among the folder's models)" if listed else ""
    return [f"model written to {model}{app}", f"use it with: samic predict {config.folder} "
            f"--model {model}"]  # fmt: skip
