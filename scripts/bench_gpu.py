"""`make bench`'s GPU section (issue 13's table for this project); skipped without CUDA.

On a CUDA device: SAM vit_h encode fp32 / bf16, batch 1 and 8; SAMIC per target, batch 1 and
32; `samic predict` steady state over 500 images and its ratio to the batched encoder; time to
the first annotation; train epoch time of a 100-image folder against the bare step time.

    .venv/bin/python scripts/bench_gpu.py [--images 500] [--model-type vit_h]
"""

from __future__ import annotations

import argparse
import sys

import torch


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=500)
    parser.add_argument("--model-type", default="vit_h")
    parser.add_argument("--train-images", type=int, default=100)
    args, _ = parser.parse_known_args()
    if not torch.cuda.is_available():
        print("no CUDA device: the GPU section is skipped (scripts/bench_predict.py measures "
              "the CPU)")  # fmt: skip
        return 0
    from bench_predict import main as bench_predict

    print(f"GPU: {torch.cuda.get_device_name(0)}")
    return bench_predict([
        "--device", "cuda", "--model-type", args.model_type, "--images", str(args.images),
        "--encode-images", "64", "--train-images", str(args.train_images), "--epochs", "10",
        "--precisions", "fp32,bf16", "--batch-size", "8", "--samic-batch", "32",
    ])  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
