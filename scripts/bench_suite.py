"""The task-family suite of SAMIC's prompts (docs/model.md, "Tasks it was not tuned for").

For each family and seed: write the family's folders (samic_core.testing.suite), train SAMIC
with `samic train`'s defaults (random backbone, CPU), then prompt every test image and every
look-alike-only image K-shot with the model's own peak rule (what `samic predict` does) and
score the points: instance recall, point precision, oracle IoU against the copy baseline, the
share of look-alike-only images left without a prompt, epochs and training time.

    .venv/bin/python scripts/bench_suite.py --seeds 0 1 2
    .venv/bin/python scripts/bench_suite.py --families shape,photo --seeds 0 --workdir /tmp/suite

With --workdir, folders and models are kept and a model already there is scored, not
retrained (so other peak rules can be compared on the same models with --rules, and a change
of the peak fit with --refit).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from samic_core.loss_terms import parse_loss_terms
from samic_core.modelfile.meta import read_model_meta
from samic_core.predict.predictor import SamicPredictor
from samic_core.predict.references import DEFAULT_SHOTS
from samic_core.testing.prompt_scores import parse_rules
from samic_core.testing.refit import refit_rule
from samic_core.testing.suite import FAMILIES, score_task, write_task
from samic_core.train.trainer import TrainConfig, train

COLUMNS = ("recall", "precision", "oracle_iou", "copy_iou", "alike_clean", "epochs", "train_s")


def run_one(family: str, seed: int, root: Path, args: argparse.Namespace) -> list[dict]:
    if not (root / "train").is_dir():
        write_task(family, root, seed, args.train_images, args.test_images, args.alike_images)
    model = root / "model.pt"
    t0 = time.perf_counter()
    if model.is_file():
        epochs = read_model_meta(model).epochs_run
        took = float("nan")
    else:
        extra: dict = {} if args.epochs is None else {"epochs": args.epochs}
        if args.loss_terms:
            extra["loss_terms"] = parse_loss_terms(args.loss_terms)
        if args.time_limit is not None:
            extra["time_limit"] = args.time_limit
        if args.no_average:
            extra["average"] = False
        if args.appearance is not None:
            extra["appearance"] = args.appearance
        if args.pixel_cue is not None:
            extra["pixel_cue"] = args.pixel_cue
        if args.pixel_cue_drop is not None:
            extra["pixel_cue_drop"] = args.pixel_cue_drop
        if args.jitter is not None:
            extra["jitter"] = args.jitter
        cfg = TrainConfig(
            folder=root / "train", out=model, device="cpu", backbone_weights="none", seed=seed,
            **extra,
        )  # fmt: skip
        epochs = train(cfg).epochs_run
        took = time.perf_counter() - t0
    predictor = SamicPredictor.from_file(model, "cpu")
    rules = parse_rules(args.rules)
    if args.refit:  # today's fit on the model's validation images (the file is not changed)
        rule = refit_rule(model)
        rules[f"refit {rule.threshold:g}/{rule.floor:g}"] = rule
    scores = score_task(predictor, root, rules, seed, args.shots)
    copy = scores.pop("copy")
    rows = []
    for rule, sc in scores.items():
        rows.append({
            "family": family, "seed": seed, "rule": rule, "recall": sc.recall,
            "precision": sc.precision, "oracle_iou": sc.oracle_iou, "copy_iou": copy.oracle_iou,
            "alike_clean": sc.empty_clean, "points": sc.points_per_image, "epochs": epochs,
            "train_s": took,
        })  # fmt: skip
    return rows


def print_row(r: dict) -> None:
    cells = [r["family"], r["seed"], r["rule"], f"{r['recall']:.3f}", f"{r['precision']:.3f}",
             f"{r['oracle_iou']:.3f}", f"{r['copy_iou']:.3f}", f"{r['alike_clean']:.2f}",
             f"{r['epochs']:.0f}", f"{r['train_s']:.0f} s"]  # fmt: skip
    print("| " + " | ".join(str(c) for c in cells) + " |", flush=True)


HEADER = (
    "| family | seed | peaks | instance recall | point precision | oracle IoU | copy IoU "
    "| look-alike-only images without prompt | epochs | train time |\n"
    "|---|---|---|---|---|---|---|---|---|---|"
)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--families", default=",".join(FAMILIES), help="comma-separated families")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--train-images", type=int, default=16)
    ap.add_argument("--test-images", type=int, default=16)
    ap.add_argument("--alike-images", type=int, default=8)
    ap.add_argument("--shots", type=int, default=DEFAULT_SHOTS, help="references per target")
    ap.add_argument("--rules", default="", help="extra nms rules as threshold/floor, e.g. 0.1/0.02")
    ap.add_argument("--epochs", type=int, default=None, help="epoch limit (a quick look only)")
    ap.add_argument("--loss-terms", default=None, help="train with these terms (default: auto's)")
    ap.add_argument("--time-limit", type=float, default=None, help="minutes (default: auto's)")
    ap.add_argument("--no-average", action="store_true", help="save the last weights")
    ap.add_argument(
        "--appearance", action=argparse.BooleanOptionalAction, default=None,
        help="train with or without the appearance cue (default: auto's, on)",
    )  # fmt: skip
    ap.add_argument(
        "--pixel-cue", action=argparse.BooleanOptionalAction, default=None,
        help="train with or without the pixel cue (default: auto's, on)",
    )  # fmt: skip
    ap.add_argument(
        "--pixel-cue-drop", type=float, default=None, metavar="F",
        help="share of samples trained without the pixel cue (> 0: kept per folder)",
    )  # fmt: skip
    ap.add_argument(
        "--jitter", action=argparse.BooleanOptionalAction, default=None,
        help="train with or without scale/colour variants (default: auto's, on)",
    )  # fmt: skip
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workdir", type=Path, default=None, help="keep folders and models here")
    ap.add_argument("--json", type=Path, default=None, help="also write every row here")
    ap.add_argument(
        "--refit", action="store_true",
        help="also score the rule today's peak fit chooses on the model's validation images "
        "(compares a change of the fit on kept models without training them again)",
    )  # fmt: skip
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    families = args.families.split(",")
    unknown = [f for f in families if f not in FAMILIES]
    if unknown:
        ap.error(f"unknown families {unknown}; choose from {', '.join(FAMILIES)}")
    rows: list[dict] = []
    print(HEADER)
    for family in families:
        for seed in args.seeds:
            with tempfile.TemporaryDirectory() as tmp:
                root = Path(tmp) if args.workdir is None else args.workdir / f"{family}-{seed}"
                for row in run_one(family, seed, root, args):
                    rows.append(row)
                    print_row(row)
            if args.json is not None:
                args.json.write_text(json.dumps(rows, indent=1))
    print("\nmean over seeds:", file=sys.stdout)
    print(HEADER)
    for family in families:
        for rule in dict.fromkeys(r["rule"] for r in rows):
            sel = [r for r in rows if r["family"] == family and r["rule"] == rule]
            if sel:
                mean = {k: float(np.nanmean([r[k] for r in sel])) for k in COLUMNS}
                print_row({"family": family, "seed": "all", "rule": rule, **mean})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
