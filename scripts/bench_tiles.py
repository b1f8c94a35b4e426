"""Big images benchmark: SAMIC's prompts on small objects in big images, tiled against whole.

For each seed: write 4 annotated big images (samic_core.testing.big_images: 4000 x 3000 by
default, ~120 targets 30-60 px across among ~150 look-alikes and clutter lines) and new test
images; train SAMIC twice with `samic train`'s defaults (random backbone, CPU), once as
`--tile auto` (tiles, since the objects are small) and once `--tile off` (whole images, what
there was before tiles); prompt every test image 5-shot with each model's own peak rule, as
`samic predict` does, and score the points with the oracle segmenter (instance recall, point
precision). Then time `samic predict` on one test image in a fresh process (tiny random SAM)
and report its peak memory.

    .venv/bin/python scripts/bench_tiles.py --seeds 0 1 --workdir /tmp/tiles
    .venv/bin/python scripts/bench_tiles.py --size 6000x8000 --seeds 0   # the issue's size
    .venv/bin/python scripts/bench_tiles.py --workdir /tmp/tiles --rules 0.5/0.1 --no-cli

With --workdir, folders and models are kept, and a model already there is not trained again
(then --rules scores other peak rules on the same models).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

from samic_core.annotation import AnnotationStore
from samic_core.modelfile.meta import read_model_meta
from samic_core.predict.predictor import SamicPredictor
from samic_core.predict.references import choose_references, encode_class_references
from samic_core.predict.tiled import peaks_from_tile_maps, tile_maps
from samic_core.testing import make_tiny_sam_checkpoint
from samic_core.testing.big_images import LABEL, BigSpec, make_big_image, write_big_folder
from samic_core.testing.prompt_scores import PromptScores, parse_rules
from samic_core.tiles import samic_grid
from samic_core.train.trainer import TrainConfig, train

TEST_FIRST = 100  # test images are indices 100.. of the seed (training: 0..)


def train_model(folder: Path, out: Path, tile: str, args: argparse.Namespace) -> tuple[float, int]:
    """(training seconds, epochs) of a `samic train`-default run; 0 s when the model exists."""
    if out.is_file():
        return 0.0, read_model_meta(out).epochs_run
    extra = {} if args.time_limit is None else {"time_limit": args.time_limit}
    t0 = time.perf_counter()
    result = train(TrainConfig(folder=folder, out=out, backbone_weights="none", device="cpu",
                               tile=tile, **extra))  # fmt: skip
    return time.perf_counter() - t0, result.epochs_run


def score(
    model: Path, train_folder: Path, spec: BigSpec, seed: int, n_test: int, rules: dict
) -> list[dict]:
    """One row per rule: the model's prompts on the test images, scored by the oracle."""
    predictor = SamicPredictor.from_file(model, "cpu", backbone_weights="none")
    store = AnnotationStore(train_folder)
    refs = encode_class_references(predictor, store, LABEL, choose_references(store, LABEL))
    predictor.use(refs)
    scores = {name: PromptScores() for name in rules}
    seconds = 0.0
    for i in range(TEST_FIRST, TEST_FIRST + n_test):
        truth = make_big_image(spec, seed, i)
        t0 = time.perf_counter()
        grid = samic_grid("auto", truth.rgb.shape[:2], predictor.tile)
        maps = predictor.target_maps(truth.rgb) if grid is None else tile_maps(
            predictor, truth.rgb, grid, [refs])[0]  # fmt: skip
        seconds += time.perf_counter() - t0
        for name, rule in rules.items():
            r = predictor.rule_for(rule)
            if grid is None:
                peaks = predictor.peaks_from_maps(maps, truth.rgb, r)
            else:
                peaks = peaks_from_tile_maps(predictor, maps, r, grid.size)
            scores[name].add(np.array([[p.x, p.y] for p in peaks]).reshape(-1, 2), truth.instances)
    rows = []
    for name, s in scores.items():
        row = s.row()
        row.update(tile=predictor.tile or "off", predict_s=seconds / n_test, peaks=name)
        rows.append(row)
    return rows


def predict_memory(model: Path, image_folder: Path, work: Path) -> dict:
    """`samic predict` on one image in a fresh process: wall time and peak resident memory."""
    sam = work / "tiny_sam.pth"
    if not sam.is_file():
        make_tiny_sam_checkpoint(sam, seed=0)
    one = work / "predict_one"
    one.mkdir(exist_ok=True)
    first = sorted(image_folder.glob("*.png"))[0]
    target = one / first.name
    if not target.exists():
        os.link(first, target)
    cmd = [sys.executable, "-m", "samic_core.cli.main", "predict", str(one), "--model", str(model),
           "--refs", str(work / "train"), "--checkpoint", str(sam), "--backbone-weights", "none",
           "--device", "cpu", "--no-cache"]  # fmt: skip
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    took = time.perf_counter() - t0
    if status != 0:
        raise SystemExit(f"samic predict failed: {proc.stderr.read().decode()[-2000:]}")
    return {"cli_s": took, "cli_peak_mb": usage.ru_maxrss / 1024}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--size", default="3000x4000", help="HxW of the images")
    ap.add_argument("--train-images", type=int, default=4)
    ap.add_argument("--test-images", type=int, default=2)
    ap.add_argument(
        "--time-limit", type=float, default=None, help="training minutes (default: auto's)"
    )
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--rules", default="", help="extra nms rules as threshold/floor, e.g. 0.5/0.2")
    ap.add_argument("--no-cli", action="store_true", help="skip timing `samic predict`")
    ap.add_argument("--modes", default="auto,off", help="which models: auto (tiles), off (whole)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    h, w = (int(v) for v in args.size.split("x"))
    scale = h * w / (3000 * 4000)  # as many objects per pixel at every size
    spec = BigSpec(height=h, width=w, targets=int(120 * scale), lookalikes=int(150 * scale),
                   clutter=int(400 * scale))  # fmt: skip
    rules = parse_rules(args.rules)
    root = args.workdir or Path(os.environ.get("TMPDIR", "/tmp")) / "bench_tiles"
    rows = []
    print("| seed | SAMIC looks at | peaks | instance recall | point precision | points/image | "
          "objects/image | predict s/image | epochs | train min |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    for seed in args.seeds:
        work = root / f"seed{seed}"
        if not (work / "train").is_dir():
            write_big_folder(work / "train", spec, seed, range(args.train_images))
            tests = range(TEST_FIRST, TEST_FIRST + args.test_images)
            write_big_folder(work / "test", spec, seed, tests, annotate=False)
        for tile in args.modes.split(","):
            model = work / f"model-{tile}.samic"
            took, epochs = train_model(work / "train", model, tile, args)
            scored = score(model, work / "train", spec, seed, args.test_images, rules)
            for row in scored:
                row.update(seed=seed, mode=tile, epochs=epochs, train_min=took / 60)
                looks = f"tiles of {row['tile']} px" if row["tile"] != "off" else "the whole image"
                print(f"| {seed} | {looks} | {row['peaks']} | {row['recall']:.3f} | "
                      f"{row['precision']:.3f} | {row['points_per_image']:.1f} | "
                      f"{row['instances_per_image']:.1f} | {row['predict_s']:.1f} | {epochs} | "
                      f"{took / 60:.1f} |", flush=True)  # fmt: skip
            if tile == "auto" and not args.no_cli:
                scored[0].update(predict_memory(model, work / "test", work))
            rows += scored
    for row in rows:
        if "cli_s" in row:
            print(f"seed {row['seed']}: samic predict of one {w}x{h} image (tiles, tiny SAM): "
                  f"{row['cli_s']:.1f} s, peak memory {row['cli_peak_mb']:.0f} MB")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
