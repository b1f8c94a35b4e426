"""Throughput of `samic predict` locally vs `--ray` (a local Ray) on the same folder.

Tiny random SAM and a 1-epoch SAMIC model (the costs under test are the pipeline's, not the
models'); N synthetic images of SIZE px. Each repeat annotates a fresh copy of the folder with
both paths, in alternating order; medians are printed. Ray is started once, before timing
(its start-up is reported apart: a cluster is started once for many runs). Needs the samic[ray]
extra. Numbers of this machine are in docs/scale-out.md.

    python scripts/bench_ray.py --images 200 --size 96 --repeats 3
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import torch

from samic_core.cli.main import main as samic
from samic_core.testing import make_tiny_sam_checkpoint
from samic_core.testing.samic_task import make_synthetic_image, write_synthetic_folder
from samic_core.train.trainer import TrainConfig, train


def _predict(model: Path, refs: Path, images: Path, sam: Path, *extra: str) -> float:
    argv = ["predict", "--model", str(model), "--refs", str(refs), "--images", str(images),
            "--shots", "2", "--checkpoint", str(sam), "--device", "cpu", "--no-cache",
            "--peaks", "paper", "--threshold", "0.3", *extra]  # fmt: skip
    out = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = samic(argv)
    took = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"samic predict {' '.join(extra)} failed ({code}): {out.getvalue()}")
    return took


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=200)
    ap.add_argument("--size", type=int, default=96, help="image side in pixels")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--cpus", type=int, default=2, help="CPUs of the local Ray")
    ap.add_argument("--threads", type=int, default=1, help="torch threads of the local path")
    args = ap.parse_args()
    import ray

    work = Path(tempfile.mkdtemp(prefix="bench_ray_"))
    try:
        refs = work / "refs"
        write_synthetic_folder(refs, 8, size=64, seed=5)
        model = work / "model.pt"
        train(TrainConfig(refs, model, epochs=1, image_size=64, device="cpu",
                          backbone_weights="none", batch_size=4, schedule="paper"))  # fmt: skip
        sam = make_tiny_sam_checkpoint(work / "tiny_sam.pth")
        source = work / "source"
        source.mkdir()
        for i in range(args.images):
            im = make_synthetic_image(args.size, 10_000 + i).rgb
            cv2.imwrite(str(source / f"t{i:05d}.png"), cv2.cvtColor(im, cv2.COLOR_RGB2BGR))
        start = time.perf_counter()
        address = ray.init(num_cpus=args.cpus, include_dashboard=False,
                           log_to_driver=False).address_info["address"]  # fmt: skip
        ray.data.DataContext.get_current().enable_progress_bars = False
        ray_start = time.perf_counter() - start
        torch.set_num_threads(args.threads)
        times: dict[str, list[float]] = {"local": [], "ray": []}
        for r in range(args.repeats):
            for kind in ("local", "ray") if r % 2 == 0 else ("ray", "local"):
                folder = work / f"{kind}{r}"
                shutil.copytree(source, folder)
                extra = ("--ray", address) if kind == "ray" else ()
                times[kind].append(_predict(model, refs, folder, sam, *extra))
                print(f"repeat {r} {kind}: {times[kind][-1]:.1f} s", flush=True)
        ray.shutdown()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    n = args.images
    local, dist = statistics.median(times["local"]), statistics.median(times["ray"])
    print(f"\n{n} images of {args.size} px, tiny SAM, local path with {args.threads} torch "
          f"thread(s), Ray with {args.cpus} CPUs (1 CPU actor + readers); medians of "
          f"{args.repeats}")  # fmt: skip
    print(f"Ray start-up (once per session, not in the times): {ray_start:.1f} s")
    print(f"local: {local:.1f} s = {n / local:.2f} img/s   (runs {times['local']})")
    print(f"ray:   {dist:.1f} s = {n / dist:.2f} img/s   (runs {times['ray']})")
    print(f"Ray overhead: {dist - local:+.1f} s = {(dist - local) / n * 1000:+.0f} ms per image "
          f"= {(dist - local) / local * 100:+.0f} % of the local path")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
