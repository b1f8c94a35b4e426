"""Multi-instance benchmark of SAMIC's prompts (docs/model.md, "Finding every object").

For each seed: write a generated training folder and a test folder (samic_core.testing.
multi_instance: 5-15 instances per image, touching, 3x size range, low-contrast ones, images
without the object), train SAMIC with `samic train`'s code for each schedule, then prompt every
test image 1-shot (the reference drawn from the training folder) with each peak rule, and score
the points against the instance masks: instance recall, point precision, oracle IoU (each
point selects the instance it lands in) and the share of empty images left without a prompt.
The copy baseline pastes the reference's clicks onto the target.

    .venv/bin/python scripts/bench_recall.py --seeds 0 1 2
    .venv/bin/python scripts/bench_recall.py --task discs     # the learning test's task
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from samic_core.annotation import AnnotationStore
from samic_core.fileio import read_image_rgb
from samic_core.modelfile.meta import read_model_meta
from samic_core.peaks import PeakRule, peak_method_names
from samic_core.predict.predictor import SamicPredictor
from samic_core.predict.references import reference_object_radius
from samic_core.testing.multi_instance import MultiInstanceSpec, write_folder
from samic_core.testing.prompt_scores import PromptScores
from samic_core.testing.samic_task import write_synthetic_folder
from samic_core.train.trainer import TrainConfig, train


def make_task(
    task: str, root: Path, seed: int, n_train: int, n_test: int, test_empty: float = 0.2
) -> str:
    """Write root/train and root/test; return the class label."""
    if task == "discs":
        write_synthetic_folder(root / "train", n_train, size=128, seed=seed + 1)
        write_synthetic_folder(root / "test", n_test, size=128, seed=seed + 1_001)
        return "disc"
    spec = MultiInstanceSpec(empty=test_empty)
    train_spec = MultiInstanceSpec(empty=0.125)
    write_folder(root / "train", n_train, train_spec, seed=seed)
    write_folder(root / "test", n_test, spec, seed=seed + 10_000)
    return "target"


def score(
    model: Path, root: Path, label: str, rules: dict[str, PeakRule], seed: int, shots: int = 1
) -> dict[str, PromptScores]:
    """Every test image K-shot with seeded references from the training folder, per rule."""
    predictor = SamicPredictor.from_file(model, "cpu")
    train_store, test_store = AnnotationStore(root / "train"), AnnotationStore(root / "test")
    refs = []
    for path in train_store.images():
        ann = train_store.load_json(path.name)
        pts = [(p.x, p.y) for o in ann.objects if o.label == label for p in o.positive_points]
        if pts:
            refs.append((path, np.asarray(pts, np.float64)))
    rng = np.random.default_rng(seed)
    out = {name: PromptScores() for name in [*rules, "copy"]}
    for path in test_store.images():
        instances = test_store.load(path.name).instances
        chosen = [refs[int(i)] for i in rng.choice(len(refs), min(shots, len(refs)), False)]
        radii = [reference_object_radius(train_store, p.name, label) for p, _ in chosen]
        known = [r for r in radii if r is not None]
        predictor.set_references(
            [read_image_rgb(p) for p, _ in chosen],
            [pts for _, pts in chosen],
            float(np.median(known)) if known else None,
        )
        ref_pts = chosen[0][1]
        image = read_image_rgb(path)
        maps = predictor.target_maps(image)  # once; each rule reads the map its method wants
        for name, rule in rules.items():
            peaks = predictor.peaks_from_maps(maps, image, predictor.rule_for(rule))
            out[name].add(np.array([[p.x, p.y] for p in peaks]).reshape(-1, 2), instances)
        out["copy"].add(ref_pts, instances)
    return out


SCHEDULES = {
    "paper": dict(schedule="paper"),  # section 4.2 as written
    "default": dict(),  # `samic train FOLDER` with no flags (auto schedule, flips on)
    # the names of the augmentation measurement (docs/model.md), which kept flips off unless named
    # (and without the pixel cue and jitter, which became defaults later)
    "default-noflips": dict(flips=False, pixel_cue=False, jitter=False),  # the default then
    "default-nogate": dict(presence=False, erase=False),  # the default before the gate
    "default-noerase": dict(erase=False),  # the gate, learning from real empty images only
    "default+flips": dict(flips=True, pixel_cue=False, jitter=False),
    "default+jitter": dict(flips=False, jitter=True, pixel_cue=False),
    "default+flips+jitter": dict(flips=True, jitter=True, pixel_cue=False),
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--task", choices=("multi", "discs"), default="multi")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--train-images", type=int, default=16)
    ap.add_argument("--test-images", type=int, default=24)
    ap.add_argument("--image-size", type=int, default=128)
    ap.add_argument(
        "--test-empty", type=float, default=0.2,
        help="share of test images without the object (multi task; 0.2 in the tables before "
        "the presence gate)",
    )  # fmt: skip
    ap.add_argument("--schedules", default="paper,default")
    ap.add_argument("--epochs", type=int, default=None, help="override every epoch limit")
    ap.add_argument(
        "--paper-epochs", type=int, default=100,
        help="epoch limit of the paper schedule (300 in the paper; on these folders its rule "
        "rarely stops before the limit, see docs/model.md)",
    )  # fmt: skip
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--shots", default="1", help="comma-separated K values (references/target)")
    ap.add_argument(
        "--floors", default="",
        help="extra nms rules with these absolute floors, e.g. 0.1,0.2 (a precision/recall sweep)",
    )  # fmt: skip
    ap.add_argument(
        "--workdir", type=Path, default=None,
        help="keep data and models here; a model already there is scored, not retrained",
    )  # fmt: skip
    ap.add_argument("--verbose", action="store_true", help="print every epoch's losses")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    rules = {name: PeakRule.named(name) for name in peak_method_names()}  # each registered rule
    for f in filter(None, args.floors.split(",")):
        rules[f"nms@{float(f):g}"] = PeakRule(floor=float(f))
    shots = [int(k) for k in args.shots.split(",")]
    rows = []
    print(
        "| seed | schedule | peaks | epochs | train time | instance recall | point precision "
        "| oracle IoU | empty images without prompt | points / instances per image |"
    )
    for seed in args.seeds:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) if args.workdir is None else args.workdir / f"seed{seed}"
            if (root / "train").is_dir():
                label = "disc" if args.task == "discs" else "target"
            else:
                label = make_task(
                    args.task, root, seed, args.train_images, args.test_images, args.test_empty
                )
            for sched in args.schedules.split(","):
                extra = dict(SCHEDULES[sched])
                if sched == "paper":
                    extra["epochs"] = args.paper_epochs
                if args.epochs is not None:
                    extra["epochs"] = args.epochs
                cfg = TrainConfig(
                    folder=root / "train", out=root / f"{sched}.pt", image_size=args.image_size,
                    device="cpu", backbone_weights="none", seed=seed, **extra,
                )  # fmt: skip
                t0 = time.perf_counter()
                if cfg.out.is_file():
                    epochs_run = read_model_meta(cfg.out).epochs_run
                else:
                    progress = _epoch_printer(sched) if args.verbose else None
                    epochs_run = train(cfg, progress=progress).epochs_run
                took = time.perf_counter() - t0
                for k in shots:
                    scores = score(cfg.out, root, label, rules, seed, k)
                    for rule, sc in scores.items():
                        if rule == "copy" and sched != args.schedules.split(",")[0]:
                            continue
                        rows.append(
                            {"seed": seed, "schedule": "-" if rule == "copy" else sched,
                             "peaks": f"{rule} K={k}", "epochs": epochs_run, "train_s": took,
                             **sc.row()}
                        )  # fmt: skip
                        print_row(rows[-1], flush=True)
    print("\nmean over seeds:")
    print(
        "| seed | schedule | peaks | epochs | train time | instance recall | point precision "
        "| oracle IoU | empty images without prompt | points / instances per image |"
    )
    keys = sorted({(r["schedule"], r["peaks"]) for r in rows})
    for key in keys:
        sel = [r for r in rows if (r["schedule"], r["peaks"]) == key]
        mean = {
            k: float(np.nanmean([r[k] for r in sel]))
            for k in sel[0]
            if k not in ("seed", "schedule", "peaks")
        }
        print_row({"seed": "all", "schedule": key[0], "peaks": key[1], **mean}, flush=True)
    return 0


def _epoch_printer(name: str):
    def show(p) -> None:
        if p.step == p.steps:
            val = "-" if p.val_loss is None else f"{p.val_loss:.3f}"
            print(f"  {name} epoch {p.epoch}: {p.steps} steps, train {p.train_loss:.3f}, "
                  f"val {val}, {p.elapsed_s:.0f} s", file=sys.stderr, flush=True)  # fmt: skip

    return show


def print_row(r: dict, flush: bool = False) -> None:
    cells = [
        r["seed"], r["schedule"], r["peaks"], f"{r['epochs']:.0f}", f"{r['train_s']:.0f} s",
        f"{r['recall']:.3f}", f"{r['precision']:.3f}", f"{r['oracle_iou']:.3f}",
        f"{r['empty_clean']:.2f}", f"{r['points_per_image']:.1f} / {r['instances_per_image']:.1f}",
    ]  # fmt: skip
    print("| " + " | ".join(str(c) for c in cells) + " |", flush=flush)


if __name__ == "__main__":
    raise SystemExit(main())
