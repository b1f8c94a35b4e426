"""Propagation speed of `samic track` with SAM 2.1: frames/s on a generated clip.

Random weights in Meta's file layout (the cost is the same with real ones); the clip's frames
are JPEGs read one at a time, as `samic track` reads them. The first frame (the prompt) is not
counted; the median time between the next frames is. Then the app's case: clicks decoded on a
frame's embedding (the image engine of the same model) while a propagation runs on another
thread, against the same clicks with nothing else running and the bare decoder.

    .venv/bin/python scripts/bench_track.py                         # hiera_t, 854x480, CPU
    .venv/bin/python scripts/bench_track.py --model-type sam2.1_hiera_l --device cuda --frames 60
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import torch

from samic_core.sam.build import open_engine
from samic_core.sam.sam2_video import Sam2VideoTracker
from samic_core.sam.types import Prompt
from samic_core.testing import make_random_sam2_checkpoint
from samic_core.testing.clips import write_clip
from samic_core.video.clip import open_clip


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--model-type", default="sam2.1_hiera_t")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--height", type=int, default=480)
    ap.add_argument("--width", type=int, default=854)
    ap.add_argument("--clicks", type=int, default=20, help="clicks timed alone and while tracking")
    args, _ = ap.parse_known_args()
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = make_random_sam2_checkpoint(Path(tmp) / "sam2.pt", args.model_type)
        folder, truth = write_clip(Path(tmp) / "clip", n=args.frames, h=args.height, w=args.width)
        clip = open_clip(folder)
        tracker = Sam2VideoTracker(ckpt, args.model_type, args.device)
        stamps = []
        start = time.perf_counter()
        for _ in tracker.track(clip.read, len(clip), clip.hw, {0: truth[0]}, [(False, 0)]):
            if tracker.device.type == "cuda":
                torch.cuda.synchronize()
            stamps.append(time.perf_counter())
        step = float(np.median(np.diff(stamps)))
        print(f"device {tracker.device}, torch threads {torch.get_num_threads()}")
        print(f"| {args.model_type} | {args.width}x{args.height} | {len(truth[0])} objects | "
              f"{step:.2f} s/frame | {1 / step:.2f} frames/s | {len(stamps)} frames in "
              f"{stamps[-1] - start:.1f} s |")  # fmt: skip
        clicks_while_tracking(tracker, clip, truth, ckpt, args)
    return 0


def clicks_while_tracking(tracker, clip, truth, ckpt: Path, args) -> None:  # noqa: ANN001
    """Click-to-mask with nothing else running, and while a propagation runs on a thread."""
    engine = open_engine(ckpt, args.model_type, args.device)
    emb = engine.encode(clip.read(0))
    rng = np.random.default_rng(0)
    h, w = clip.hw

    def clicks(n: int) -> list[float]:
        out = []
        for _ in range(n):
            pts = rng.uniform([0, 0], [w, h], size=(1, 2))
            t = time.perf_counter()
            engine.decode(emb, Prompt.from_points(pts))
            out.append(time.perf_counter() - t)
        return out

    clicks(3)  # warm-up
    idle = clicks(args.clicks)
    running = threading.Event()

    def propagate() -> None:
        for _ in tracker.track(clip.read, len(clip), clip.hw, {0: truth[0]}, [(False, 0)]):
            running.set()

    worker = threading.Thread(target=propagate)
    worker.start()
    running.wait()
    busy = clicks(args.clicks)
    worker.join()
    i, b = float(np.median(idle)) * 1000, float(np.median(busy)) * 1000
    print(f"click to mask: {i:.0f} ms alone, {b:.0f} ms (p95 "
          f"{np.percentile(busy, 95) * 1000:.0f} ms) while tracking: {b / i:.2f}x")  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
