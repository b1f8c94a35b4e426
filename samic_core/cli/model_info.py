"""`samic model-info [MODEL]`: learnable parameters per block, and a model file's metadata."""

from __future__ import annotations

import argparse
import sys

from samic_core.cli.parsing import add_command, add_input
from samic_core.model.backbone import BACKBONES
from samic_core.model.build import build_learner
from samic_core.modelfile.file import read_model_meta
from samic_core.modelfile.meta import ModelMeta
from samic_core.text import counted


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub, "model-info",
        help="a model file's classes, training and peak rule; the network's parameter count",
        usage="%(prog)s [MODEL] [--backbone {resnet50,resnet101}]",
        examples=[
            "samic model-info photos/annotations/models/samic-20250102-0304.samic",
            "samic model-info --backbone resnet101",
        ],
    )  # fmt: skip
    add_input(
        p, "model", "MODEL", "a model file written by `samic train` (without it: only the "
        "parameter counts)", old_option="--model",
    )  # fmt: skip
    p.add_argument(
        "--backbone", choices=BACKBONES, help="count for this backbone (default: the model's, "
        "else resnet50)"
    )  # fmt: skip
    p.set_defaults(func=run)


def parameter_report(
    backbone: str,
    squeeze_depth: int = 3,
    presence: bool = False,
    appearance: bool = False,
    pixel_cue: bool = False,
) -> str:
    """The learner's learnable parameters per block, as printed by model-info."""
    learner = build_learner(backbone, squeeze_depth, presence, appearance, pixel_cue)
    rows = learner.parameter_breakdown()
    width = max(len(k) for k in rows)
    depth = "" if squeeze_depth == 3 else f", squeeze depth {squeeze_depth}"
    lines = [f"learnable parameters (HSNet learner{depth}, {backbone} backbone frozen):"]
    lines += [f"  {name:<{width}}  {n:>10,}" for name, n in rows.items()]
    lines.append(f"  {'total':<{width}}  {sum(rows.values()):>10,}")
    return "\n".join(lines) + "\n"


SHOWN_CLASSES = 20  # a model of many classes names the first ones, then how many more


def class_list(classes: tuple[str, ...], most: int = SHOWN_CLASSES) -> str:
    """The classes as one bounded line: the first `most`, then how many more there are."""
    shown = ", ".join(classes[:most])
    return shown if len(classes) <= most else f"{shown} ... ({len(classes) - most} more)"


def tile_line(tile: int | None) -> str:
    """How the model looks at big images (train/tiling.py)."""
    if tile is None:
        return "trained on whole images"
    return f"trained on {tile} px tiles (big images are looked at in tiles of that side)"


def pixel_cue_line(meta: ModelMeta) -> str:
    """Whether the model has a pixel cue, and, where the run chose per folder, on what scores
    (train/cue_choice.py)."""
    scores = meta.pixel_cue_scores
    if scores is None:
        return "yes" if meta.pixel_cue else "no"
    how = "yes, kept" if meta.pixel_cue else "no, removed"
    return f"{how} (validation score {scores[0]:.2f} with it, {scores[1]:.2f} without)"


def peak_rule_line(meta: ModelMeta) -> str:
    """How the model's maps become prompts by default: the fitted rule and its validation
    scores, the fit's strict start, or the predictor's default (SamicPredictor.default_rule)."""
    fitted = meta.peak_rule
    if not fitted:
        if "bce" not in meta.loss_terms:
            return "the paper's rule (trained without BCE: no floor on its output means nothing)"
        return (
            "the default rule, threshold 0.3, floor 0.1 (nothing stored: an older file, a model "
            "without a pixel cue and with too few validation objects to fit, or a model of tiles "
            "whose fit had too few validation objects or did not finish)"
        )
    rule = f"threshold {fitted['threshold']:g}, floor {fitted['floor']:g}"
    if "val_objects" not in fitted:
        return f"{rule}, the fit's strict start (too few validation objects to fit it)"
    stats = ", ".join(
        f"{name} {fitted[key]:.2f}"
        for key, name in (("val_recall", "recall"), ("val_precision", "precision"))
        if key in fitted
    )
    objects = int(fitted.get("val_objects", 0))
    return f"{rule}, fitted on the validation images ({counted(objects, 'object')}: {stats})"


AUGMENTS = (("flips", "flips"), ("jitter", "scale/colour variants"), ("erase", "erased copies"))


def augment_line(config: dict[str, object]) -> str:
    """What the training images were augmented with, as the model file records it."""
    kinds = [name for key, name in AUGMENTS if config.get(key)]
    known = any(key in config for key, _ in AUGMENTS)
    return ", ".join(kinds) or ("nothing" if known else "not recorded (an older file)")


def run(args: argparse.Namespace) -> int:
    """Print a model file's metadata (validated, bounded in size) and the parameter counts."""
    backbone = args.backbone
    depth, presence, appearance, pixel_cue = 3, False, False, False
    if args.model is not None:
        meta = read_model_meta(args.model)
        backbone = backbone or meta.backbone
        loss = lambda v: "-" if v is None else f"{v:.4f}"  # noqa: E731
        sys.stdout.write(
            f"model {args.model}\n"
            f"  classes: {class_list(meta.classes)}\n"
            f"  backbone: {meta.backbone} (weights {meta.backbone_weights}, "
            f"sha256 {meta.backbone_sha256[:12]}...)\n"
            f"  input size: {meta.image_size} x {meta.image_size}; head: {meta.output}; "
            f"{tile_line(meta.tile)}\n"
            f"  created {meta.created}; {counted(meta.epochs_run, 'epoch')}, "
            f"best epoch {meta.best_epoch}; "
            f"train loss {loss(meta.train_loss)}, val loss {loss(meta.val_loss)}\n"
            f"  schedule {meta.config.get('schedule', 'paper')}; squeeze depth "
            f"{meta.squeeze_depth}; loss terms {'+'.join(meta.loss_terms)}; presence gate "
            f"{'yes' if meta.presence else 'no'}; appearance cue "
            f"{'yes' if meta.appearance else 'no'}; pixel cue {pixel_cue_line(meta)}\n"
            f"  augmented with: {augment_line(meta.config)}\n"
            f"  peaks: {peak_rule_line(meta)}\n"
        )
        depth, presence, appearance = meta.squeeze_depth, meta.presence, meta.appearance
        pixel_cue = meta.pixel_cue
    sys.stdout.write(
        parameter_report(backbone or "resnet50", depth, presence, appearance, pixel_cue)
    )
    return 0
