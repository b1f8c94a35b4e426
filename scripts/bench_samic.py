"""SAMIC benchmarks (CPU unless --device cuda): HSNet forward per target at 224 (1- and 5-shot),
epoch time with and without the backbone-feature cache, and `samic predict` images per second
with a tiny random SAM. Uses a random backbone (same compute as ImageNet weights) and synthetic
data, so it needs no downloads.

    .venv/bin/python scripts/bench_samic.py [--device cpu] [--images 16]
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

import cv2
import torch

from samic_core.annotation import AnnotationStore
from samic_core.cli.main import main as samic_main
from samic_core.model.build import build_samic
from samic_core.predict.predictor import SamicPredictor
from samic_core.testing import make_tiny_sam_checkpoint
from samic_core.testing.samic_task import make_synthetic_image, write_synthetic_folder
from samic_core.train.trainer import TrainConfig, train


def bench_forward(device: str, size: int = 224, repeats: int = 5) -> None:
    net, _ = build_samic("resnet50", weights="none", image_size=size)
    predictor = SamicPredictor(net.to(device))
    refs = [make_synthetic_image(size, i) for i in range(5)]
    target = make_synthetic_image(size, 99).rgb
    for k in (1, 5):
        predictor.set_references([r.rgb for r in refs[:k]], [r.points for r in refs[:k]])
        predictor.heatmap(target)  # warm-up
        t0 = time.perf_counter()
        for _ in range(repeats):
            predictor.heatmap(target)
        dt = (time.perf_counter() - t0) / repeats
        print(f"HSNet forward per target at {size}, {k}-shot ({device}): {dt * 1000:.0f} ms")


def bench_epochs(folder: Path, out: Path, device: str, size: int) -> Path:
    times = {}
    model = out / "cache.pt"
    for cache in (True, False):
        path = out / ("cache.pt" if cache else "nocache.pt")
        cfg = TrainConfig(folder, path, epochs=3, image_size=size, device=device,
                          backbone_weights="none", val_fraction=0.0, feature_cache=cache,
                          patience=100)  # fmt: skip
        hist = train(cfg).history
        # epochs 2-3: the cache (if on) is full; epoch 1 includes filling it
        times[cache] = (hist[2]["elapsed_s"] - hist[0]["elapsed_s"]) / 2
        first = hist[0]["elapsed_s"]
        print(f"epoch time at {size}, feature cache {'on ' if cache else 'off'}: "
              f"{times[cache]:.2f} s (first epoch {first:.2f} s)")  # fmt: skip
    print(f"epoch time ratio without / with cache: {times[False] / times[True]:.1f}x")
    return model


def bench_predict(model: Path, refs: Path, out: Path, device: str, n: int) -> None:
    images = out / "predict"
    images.mkdir()
    for i in range(n):
        rgb = make_synthetic_image(224, 5000 + i).rgb
        cv2.imwrite(str(images / f"p{i:03d}.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    sam = make_tiny_sam_checkpoint(out / "tiny_sam.pth", seed=0)
    argv = ["predict", "--model", str(model), "--refs", str(refs), "--images", str(images),
            "--shots", "5", "--checkpoint", str(sam), "--device", device, "--no-cache",
            "--threshold", "0.3"]  # fmt: skip
    t0 = time.perf_counter()
    assert samic_main(argv) == 0
    dt = time.perf_counter() - t0
    n_done = len(AnnotationStore(images).annotation_files())
    print(f"samic predict (5-shot, tiny SAM, {device}): {n / dt:.2f} images/s "
          f"({n} images in {dt:.1f} s incl. model loading, {n_done} annotated)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--images", type=int, default=16, help="training images for epochs")
    parser.add_argument("--size", type=int, default=224)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    torch.manual_seed(0)
    print(f"torch threads: {torch.get_num_threads()}")
    bench_forward(args.device, args.size)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        folder = out / "train"
        write_synthetic_folder(folder, args.images, size=args.size, seed=0)
        model = bench_epochs(folder, out, args.device, args.size)
        bench_predict(model, folder, out, args.device, n=8)


if __name__ == "__main__":
    main()
