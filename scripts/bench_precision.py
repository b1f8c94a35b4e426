"""How much reduced precision changes SAM's masks: mask IoU of bf16 / fp16 encodes against fp32.

Random weights (no checkpoint can be downloaded here) say how far the reduced-precision encoder
drifts numerically for the same architecture, not how a trained model's masks change; rerun with
a real checkpoint (`--checkpoint`) to measure that. On CPU the autocast path is the same code as
on CUDA (usually slower than fp32 there); on CUDA it also prints the encode times.

    .venv/bin/python scripts/bench_precision.py --model-type vit_b --prompts 20
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from samic_core.sam.engine import SamEngine
from samic_core.sam.types import Prompt
from samic_core.testing import make_blob_image
from samic_core.testing.tiny_sam import make_random_sam_checkpoint, make_tiny_sam_checkpoint


def random_checkpoint(model_type: str, folder: Path) -> Path:
    """A randomly initialised official-format checkpoint (tiny: samic_core.testing's model)."""
    path = folder / f"{model_type}_random.pth"
    if model_type == "tiny":
        return make_tiny_sam_checkpoint(path)
    return make_random_sam_checkpoint(path, model_type)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--model-type", default="tiny", choices=("tiny", "vit_b", "vit_l", "vit_h"))
    ap.add_argument("--checkpoint", type=Path, help="a real checkpoint instead of random weights")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--precisions", default="bf16,fp16")
    ap.add_argument("--prompts", type=int, default=20)
    ap.add_argument("--images", type=int, default=2)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = args.checkpoint or random_checkpoint(args.model_type, Path(tmp))
        engines = {
            p: SamEngine(ckpt, "auto", args.device, None, p)
            for p in ["fp32", *args.precisions.split(",")]
        }
        rng = np.random.default_rng(0)
        ious: dict[str, list[float]] = {p: [] for p in engines if p != "fp32"}
        times: dict[str, list[float]] = {p: [] for p in engines}
        for i in range(args.images):
            blobs = [
                (int(rng.integers(60, 580)), int(rng.integers(60, 420)), int(rng.integers(20, 60)))
                for _ in range(6)
            ]
            image = make_blob_image(480, 640, blobs, seed=i)
            embs = {}
            for p, engine in engines.items():
                t0 = time.perf_counter()
                embs[p] = engine.encode(image)
                if engine.device.type == "cuda":
                    torch.cuda.synchronize()
                times[p].append(time.perf_counter() - t0)
            for _ in range(args.prompts // args.images):
                x, y = (float(v) for v in rng.uniform((0, 0), (640, 480)))
                prompt = Prompt.from_points(np.array([[x, y]]))
                ref = engines["fp32"].decode(embs["fp32"], prompt).mask
                for p in ious:
                    m = (
                        engines[p].decode(embs[p], prompt).mask
                    )  # the decoder runs fp32 in every engine
                    ious[p].append(float((m & ref).sum() / max((m | ref).sum(), 1)))
        name = args.checkpoint.name if args.checkpoint else f"random {args.model_type}"
        print(
            f"| model | precision | mask IoU vs fp32 (mean / min, {args.prompts} clicks) "
            "| encode s (median) |"
        )
        print("|---|---|---|---|")
        print(f"| {name} | fp32 | 1 | {np.median(times['fp32']):.2f} |")
        for p, v in ious.items():
            print(
                f"| {name} | {p} | {np.mean(v):.4f} / {np.min(v):.4f} | {np.median(times[p]):.2f} |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
