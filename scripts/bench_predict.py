"""Auto-annotation and training at the hardware's speed (issue 13's table), on any device.

Generates its data (1024x768 images, an annotated reference folder), a 1-epoch SAMIC model and
a random-weight SAM or SAM 2.1 of --model-type in the official checkpoint format (random weights
cost the same as real ones), then measures through the project's own code:

  SAM encoder alone        ClickEngine.encode_batch on prepared images, batch 1 and --batch-size
  SAMIC per target         class_heatmaps_torch, batch 1 and --samic-batch targets
  samic predict            the pipeline (auto_annotate_classes) steady state, images/s, and its
                           ratio to the encoder alone at the same batch and precision
  start-up                 the `samic predict` command in a fresh process: time from its start
                           to its first written annotation
  samic train              epoch time against the bare optimizer-step time

The paper peak rule is used so every image gets a prompt (every image is encoded: a fair ratio).

    .venv/bin/python scripts/bench_predict.py                      # CPU, vit_b, 8 images
    .venv/bin/python scripts/bench_predict.py --device cuda --model-type vit_h --images 500 \\
        --train-images 100 --precisions fp32,bf16 --batch-size 8   # what bench_gpu.py runs
"""

from __future__ import annotations

import argparse
import logging
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import torch

from samic_core.annotation import AnnotationStore
from samic_core.device import resolve_device
from samic_core.fileio import list_images, read_image_rgb
from samic_core.model.transforms import image_to_tensor
from samic_core.peaks import PeakRule
from samic_core.predict.pipeline import auto_annotate_classes
from samic_core.predict.predictor import SamicPredictor
from samic_core.predict.references import choose_references, encode_class_references
from samic_core.sam.build import open_engine
from samic_core.sam.click_engine import ClickEngine
from samic_core.sam.registry import MODELS
from samic_core.testing import make_tiny_sam_checkpoint
from samic_core.testing.samic_task import make_synthetic_image, write_synthetic_folder
from samic_core.testing.tiny_sam import make_random_sam2_checkpoint, make_random_sam_checkpoint
from samic_core.train.config import TrainProgress
from samic_core.train.trainer import TrainConfig, train

ROWS: list[tuple[str, str]] = []


def row(what: str, value: str) -> None:
    ROWS.append((what, value))
    print(f"{what}: {value}", flush=True)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def write_images(folder: Path, n: int, seed: int = 5000) -> list[Path]:
    """n synthetic 1024x768 photos-sized images (a few distinct ones, repeated for speed)."""
    folder.mkdir(parents=True, exist_ok=True)
    distinct = [cv2.resize(make_synthetic_image(384, seed + i).rgb, (1024, 768)) for i in range(8)]
    for i in range(n):
        rgb = distinct[i % len(distinct)].copy()
        rgb[0, 0] = (i % 256, i // 256 % 256, 7)  # every file its own content hash
        cv2.imwrite(str(folder / f"im{i:04d}.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return list_images(folder)


def bench_encoder(
    engine: ClickEngine, images: list[Path], batch: int, label: str
) -> dict[int, float]:
    """Seconds per image of the encoder alone, batch 1 and `batch`."""
    prepared = [engine.prepare(read_image_rgb(p)) for p in images]
    out = {}
    for b in sorted({1, batch}):
        engine.encode_batch(prepared[:b])  # warm-up
        sync(engine.device)
        n = max(b, (len(prepared) // b) * b)
        t0 = time.perf_counter()
        for i in range(0, n, b):
            engine.encode_batch(prepared[i : i + b])
        sync(engine.device)
        out[b] = (time.perf_counter() - t0) / n
        row(f"SAM {engine.model_type} encode {label}, batch {b}", f"{out[b] * 1000:.0f} ms/image")
    return out


def bench_samic(predictor: SamicPredictor, refs, batch: int) -> None:
    """SAMIC forward per target, 1-shot, batch 1 and `batch` targets."""
    s = predictor.image_size
    targets = torch.stack([image_to_tensor(make_synthetic_image(s, 900 + i).rgb, s)
                           for i in range(batch)]).to(predictor.device)  # fmt: skip
    for b in sorted({1, batch}):
        predictor.class_heatmaps_torch(targets[:b], [refs])
        sync(predictor.device)
        repeats = max(1, 32 // b)
        t0 = time.perf_counter()
        for _ in range(repeats):
            predictor.class_heatmaps_torch(targets[:b], [refs])
        sync(predictor.device)
        dt = (time.perf_counter() - t0) / (repeats * b)
        row(f"SAMIC forward per target at {s}, 1-shot, batch {b}", f"{dt * 1000:.2f} ms")


def bench_pipeline(
    predictor: SamicPredictor, engine: ClickEngine, images: list[Path], refs, batch: int, out: Path
) -> float:
    """Steady-state images/s of the pipeline (the first batch, which warms up, left out)."""
    stamps: list[float] = []
    reports = auto_annotate_classes(
        predictor, engine, images, AnnotationStore(images[0].parent, out), {"obj": refs},
        progress=lambda d, t, n: stamps.append(time.perf_counter()),
        rule=PeakRule.paper(), batch_size=batch,
    )  # fmt: skip
    report = reports["obj"]
    skip = min(len(stamps) - 2, max(batch, len(stamps) // 8))
    rate = (len(stamps) - 1 - skip) / (stamps[-1] - stamps[skip])
    row(
        f"samic predict pipeline ({engine.precision}, batch {batch})",
        f"{rate:.2f} images/s steady state ({len(report.written)} of {len(images)} annotated, "
        f"{report.seconds:.1f} s in all)",
    )
    return rate


def bench_startup(args, model: Path, refs: Path, sam: Path, out: Path) -> None:
    """`samic predict` in a fresh process: time to its first written annotation."""
    folder = out / "startup"
    write_images(folder, 2, seed=7000)
    cmd = [sys.executable, "-m", "samic_core.cli.main", "predict", "--model", str(model),
           "--refs", str(refs), "--images", str(folder), "--checkpoint", str(sam),
           "--device", args.device, "--no-cache", "--peaks", "paper",
           "--precision", args.precisions.split(",")[-1]]  # fmt: skip
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    found = re.search(r"first annotation written ([\d.]+) s", done.stdout)
    if done.returncode != 0 or found is None:
        row("start-up", f"failed: {done.stderr.strip()[-300:]}")
        return
    row("samic predict: command start to first annotation", f"{found.group(1)} s "
        f"(process wall {wall:.1f} s for 2 images, Python start included)")  # fmt: skip


def bench_train(args, folder: Path, out: Path) -> None:
    """Epoch time against the bare step time (median step interval inside an epoch)."""
    steps: list[tuple[int, int, float]] = []

    def progress(p: TrainProgress) -> None:
        steps.append((p.epoch, p.step, time.perf_counter()))

    cfg = TrainConfig(folder, out / "train.pt", epochs=args.epochs, image_size=args.size,
                      device=args.device, backbone_weights="none", patience=10_000)  # fmt: skip
    result = train(cfg, progress=progress)
    hist = result.history
    epoch_s = statistics.median(
        b["elapsed_s"] - a["elapsed_s"] for a, b in zip(hist, hist[1:], strict=False)
    )
    gaps = [t1 - t0 for (e0, s0, t0), (e1, s1, t1) in zip(steps, steps[1:], strict=False)
            if e0 == e1 and e0 > 1 and s1 == s0 + 1]  # fmt: skip
    per_epoch = max(s for e, s, _ in steps if e == hist[-1]["epoch"])
    step_s = statistics.median(gaps) if gaps else float("nan")
    row(f"samic train, {args.train_images} images at {args.size}, epoch",
        f"{epoch_s:.2f} s = {per_epoch} steps x {step_s * 1000:.0f} ms bare step "
        f"(x{epoch_s / (per_epoch * step_s):.2f}); 300 epochs ~ {300 * epoch_s:.0f} s")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--model-type", default="vit_b", choices=["tiny", *MODELS]
    )
    parser.add_argument("--images", type=int, default=8, help="images the pipeline annotates")
    parser.add_argument("--encode-images", type=int, default=None, help="default: --images, <=64")
    parser.add_argument("--train-images", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=4, help="training epochs to time")
    parser.add_argument("--size", type=int, default=224, help="SAMIC input size")
    parser.add_argument("--precisions", default="fp32", help="comma-separated, e.g. fp32,bf16")
    parser.add_argument("--batch-size", type=int, default=1, help="pipeline / encoder batch")
    parser.add_argument("--samic-batch", type=int, default=8, help="SAMIC targets per pass")
    parser.add_argument("--skip", default="", help="comma-separated: encoder,samic,pipeline,"
                        "startup,train")  # fmt: skip
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    skip = set(filter(None, args.skip.split(",")))
    device = resolve_device(args.device)
    print(f"device {device}, torch threads {torch.get_num_threads()}, SAM {args.model_type}")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        refs_folder = out / "refs"
        write_synthetic_folder(refs_folder, max(args.train_images, 4), size=args.size, seed=0)
        model = out / "samic.pt"
        train(TrainConfig(refs_folder, model, epochs=1, image_size=args.size, device=args.device,
                          backbone_weights="none"))  # fmt: skip
        sam = out / "sam.pth"
        if args.model_type == "tiny":
            make_tiny_sam_checkpoint(sam, seed=0)
        elif MODELS[args.model_type].family == "sam2":
            make_random_sam2_checkpoint(sam, args.model_type, seed=0)
        else:
            make_random_sam_checkpoint(sam, args.model_type, seed=0)
        images = write_images(out / "images", args.images)
        predictor = SamicPredictor.from_file(model, args.device)
        store = AnnotationStore(refs_folder)
        refs = encode_class_references(
            predictor, store, "disc", choose_references(store, "disc", k=1)
        )
        if "samic" not in skip:
            bench_samic(predictor, refs, args.samic_batch)
        for precision in args.precisions.split(","):
            engine = open_engine(sam, "auto", device, cache=None, precision=precision)
            predictor = SamicPredictor(predictor.net, predictor.meta, precision)
            enc: dict[int, float] = {}
            if "encoder" not in skip:
                n_enc = min(args.encode_images or args.images, 64)
                enc = bench_encoder(engine, images[:n_enc], args.batch_size, precision)
            if "pipeline" not in skip:
                rate = bench_pipeline(predictor, engine, images, refs, args.batch_size,
                                      out / f"ann-{precision}")  # fmt: skip
                if args.batch_size in enc:
                    alone = 1 / enc[args.batch_size]
                    row(f"pipeline / encoder alone ({precision}, batch {args.batch_size})",
                        f"{rate / alone:.2f}x ({rate:.2f} vs {alone:.2f} images/s)")  # fmt: skip
        if "startup" not in skip:
            bench_startup(args, model, refs_folder, sam, out)
        if "train" not in skip:
            bench_train(args, refs_folder, out)
    print("\n| what | figure |\n|---|---|")
    for what, value in ROWS:
        print(f"| {what} | {value} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
