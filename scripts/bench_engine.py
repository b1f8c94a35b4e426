"""Click-engine figures on this machine, the engines side by side in one run: encoder time per
image, cache entry size and read time, and click-to-mask against the bare decoder floor.

Random weights in the official checkpoint layouts (timings do not depend on the weights'
values). Every model is encoded in turn, `--rounds` times over, so a change in the machine's load
falls on all of them alike; medians are reported.

    .venv/bin/python scripts/bench_engine.py                                  # CPU, three models
    .venv/bin/python scripts/bench_engine.py --models vit_b,sam2.1_hiera_t --device cuda
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

from samic_core.sam.build import open_engine
from samic_core.sam.cache import EmbeddingCache
from samic_core.sam.click_engine import ClickEngine
from samic_core.sam.registry import MODELS
from samic_core.sam.types import ImageEmbedding, Prompt
from samic_core.testing import (
    make_blob_image,
    make_random_sam2_checkpoint,
    make_random_sam_checkpoint,
)


def _ms(samples: list[float]) -> tuple[float, float]:
    """(median, p95) in milliseconds."""
    ms = sorted(s * 1000 for s in samples)
    return statistics.median(ms), ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]


def _sync(engine: ClickEngine) -> None:
    if engine.device.type == "cuda":
        torch.cuda.synchronize()


def _bare(engine: ClickEngine, emb: ImageEmbedding, pts: np.ndarray, labels: np.ndarray,
          mask_in: np.ndarray | None, multimask: bool) -> float:  # fmt: skip
    """Seconds for the prompt encoder + mask decoder alone on ready tensors (the floor)."""
    dev = engine.device
    coords = torch.as_tensor(
        engine.input_coords(pts, emb.original_size), dtype=torch.float, device=dev
    )[None]
    lab = torch.as_tensor(labels, dtype=torch.int, device=dev)[None]
    m = None if mask_in is None else torch.as_tensor(mask_in, device=dev)[None]
    with torch.no_grad():
        t = time.perf_counter()
        engine._run_decoder(emb, (coords, lab), None, m, multimask)
        _sync(engine)
        return time.perf_counter() - t


def clicks(engine: ClickEngine, emb: ImageEmbedding, n_points: int, n: int, rng) -> str:
    """Click-to-mask (engine.decode: transforms, decoder, one mask up to full size) vs floor."""
    h, w = emb.original_size
    got, floor, prev = [], [], None
    for i in range(n + 3):
        pts = rng.uniform([0, 0], [w, h], size=(n_points, 2))
        labels = (rng.random(n_points) > 0.2).astype(int)
        multimask = n_points == 1
        f = _bare(engine, emb, pts, labels, prev, multimask)
        t = time.perf_counter()
        r = engine.decode(emb, Prompt.from_points(pts, labels, mask_input=prev))
        _sync(engine)
        c = time.perf_counter() - t
        prev = r.low_res_logits if n_points > 1 else None
        if i >= 3:  # warm-up
            got.append(c)
            floor.append(f)
    (cm, cp), (fm, _) = _ms(got), _ms(floor)
    return f"{cm:.1f} ms (p95 {cp:.1f}) vs bare {fm:.1f} ms: {cm / fm:.2f}x"


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--models", default="vit_b,sam2.1_hiera_t,sam2.1_hiera_s")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--clicks", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=3, help="encodes per model (interleaved)")
    ap.add_argument("--height", type=int, default=768)
    ap.add_argument("--width", type=int, default=1024)
    args, _ = ap.parse_known_args()
    names = [m for m in args.models.split(",") if m]
    rng = np.random.default_rng(0)
    image = make_blob_image(args.height, args.width, seed=1)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["SAMIC_HOME"] = tmp
        engines: dict[str, ClickEngine] = {}
        for name in names:
            path = Path(tmp) / f"{name}.pt"
            if MODELS[name].family == "sam":
                make_random_sam_checkpoint(path, name)
            else:
                make_random_sam2_checkpoint(path, name)
            cache = EmbeddingCache(Path(tmp) / "cache", memory_entries=0)
            engines[name] = open_engine(path, name, args.device, cache)
        first = next(iter(engines.values()))
        print(f"device {first.device}, torch threads {torch.get_num_threads()}, "
              f"image {args.width}x{args.height}")  # fmt: skip
        encodes: dict[str, list[float]] = {n: [] for n in names}
        embs: dict[str, ImageEmbedding] = {
            n: e.encode(image) for n, e in engines.items()
        }  # warm-up
        for _ in range(args.rounds):
            for name, engine in engines.items():
                t = time.perf_counter()
                embs[name] = engine.encode(image, image_sha256="0" * 64)
                _sync(engine)
                encodes[name].append(time.perf_counter() - t)
        base = statistics.median(encodes[names[0]])
        for name, engine in engines.items():
            emb = embs[name]
            cache = engine.cache
            assert cache is not None
            path = cache.put(emb)
            assert path is not None
            reads = []
            for _ in range(5):
                t = time.perf_counter()
                cache.get(
                    emb.image_sha256 or "", engine.model_id, engine.device, engine.embedding_shapes
                )
                reads.append(time.perf_counter() - t)
            enc = statistics.median(encodes[name])
            params = sum(p.numel() for p in engine.image_encoder.parameters())
            rows.append((
                name, f"{params / 1e6:.0f} M", f"{enc:.2f} s", f"{enc / base:.2f}",
                f"{path.stat().st_size / 2**20:.0f} MiB, read {_ms(reads)[0]:.0f} ms",
                clicks(engine, emb, 1, args.clicks, rng), clicks(engine, emb, 5, args.clicks, rng),
            ))  # fmt: skip
            print(" | ".join(rows[-1]), flush=True)
    print(f"\n| model | encoder parameters | encode ({args.width}x{args.height}) | vs {names[0]} "
          "| cache entry | click to mask, 1 point | 5 points + mask input |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
