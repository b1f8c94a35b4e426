"""SAM engine figures on this machine: encoder, click-to-mask, cache, and the decoder floor.

Uses a vit_b with random weights (timings do not depend on the weights' values).
Run: .venv/bin/python scripts/bench_engine.py [--model-type vit_b] [--device cpu] [--clicks 50]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from samic_core.sam.cache import EmbeddingCache
from samic_core.sam.engine import SamEngine
from samic_core.sam.types import Prompt
from samic_core.testing import make_blob_image, make_random_sam_checkpoint


def _stats(samples: list[float]) -> tuple[float, float]:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    return statistics.median(ms), p95


def _bare_forward(engine: SamEngine, emb, coords, labels, mask_in, multimask: bool) -> float:
    """Seconds for prompt encoder + mask decoder alone on prepared tensors (the floor)."""
    sam = engine.sam
    with torch.no_grad():
        t = time.perf_counter()
        sparse, dense = sam.prompt_encoder(points=(coords, labels), boxes=None, masks=mask_in)
        sam.mask_decoder(
            image_embeddings=emb.features,
            image_pe=sam.prompt_encoder.get_dense_pe(),
            sparse_prompt_embeddings=sparse,
            dense_prompt_embeddings=dense,
            multimask_output=multimask,
        )
        return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-type", default="vit_b")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--clicks", type=int, default=50)
    ap.add_argument("--encodes", type=int, default=2)
    ap.add_argument("--height", type=int, default=768)
    ap.add_argument("--width", type=int, default=1024)
    args, _ = ap.parse_known_args()
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["SAMIC_HOME"] = tmp
        ckpt = make_random_sam_checkpoint(Path(tmp) / f"{args.model_type}.pth", args.model_type)
        cache = EmbeddingCache(Path(tmp) / "cache", memory_entries=0)
        engine = SamEngine(ckpt, args.model_type, args.device, cache)
        print(f"device {engine.device}, threads {torch.get_num_threads()}, model {args.model_type}")
        image = make_blob_image(args.height, args.width, seed=1)

        times = []
        emb = engine.encode(image, image_sha256="0" * 64)
        for _ in range(args.encodes):
            t = time.perf_counter()
            emb = engine.encode(image, image_sha256="0" * 64)
            times.append(time.perf_counter() - t)
        print(f"encoder per image ({args.width}x{args.height}): {statistics.median(times):.2f} s")

        writes, reads = [], []
        for i in range(10):
            emb.image_sha256 = f"{i:064d}"
            t = time.perf_counter()
            cache.put(emb)
            writes.append(time.perf_counter() - t)
            t = time.perf_counter()
            got = cache.get(emb.image_sha256, engine.model_id, engine.device)
            reads.append(time.perf_counter() - t)
            assert got is not None
        size = cache.path_for(emb.image_sha256, engine.model_id).stat().st_size
        w_med, w_p95 = _stats(writes)
        r_med, r_p95 = _stats(reads)
        print(
            f"cache entry {size / 2**20:.1f} MiB ({cache.dtype}); write median {w_med:.1f} ms "
            f"p95 {w_p95:.1f} ms; read median {r_med:.1f} ms p95 {r_p95:.1f} ms"
        )

        for n_points in (1, 5):
            clicks, floors = [], []
            prev = None
            for i in range(args.clicks + 3):
                pts = rng.uniform([0, 0], [args.width, args.height], size=(n_points, 2))
                labels = (rng.random(n_points) > 0.2).astype(int)
                prompt = Prompt.from_points(pts, labels, mask_input=prev)
                multimask = n_points == 1
                dev = engine.device
                xy = engine._predictor.transform.apply_coords(pts, emb.original_size)
                coords = torch.as_tensor(xy, dtype=torch.float, device=dev)[None]
                lab = torch.as_tensor(labels, dtype=torch.int, device=dev)[None]
                mask_in = None if prev is None else torch.as_tensor(prev, device=dev)[None]
                floor = _bare_forward(engine, emb, coords, lab, mask_in, multimask)
                t = time.perf_counter()
                result = engine.decode(emb, prompt)
                click = time.perf_counter() - t
                prev = result.low_res_logits if n_points > 1 else None
                if i >= 3:  # warm-up
                    clicks.append(click)
                    floors.append(floor)
            c_med, c_p95 = _stats(clicks)
            f_med, f_p95 = _stats(floors)
            print(
                f"click-to-mask, {n_points} point(s), {args.clicks} clicks: median {c_med:.1f} ms "
                f"p95 {c_p95:.1f} ms | bare prompt-encoder+decoder median {f_med:.1f} ms "
                f"p95 {f_p95:.1f} ms | ratio {c_med / f_med:.2f}x"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
