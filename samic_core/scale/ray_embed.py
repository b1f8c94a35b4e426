"""`samic embed --ray`: fill the embedding cache of a folder on a Ray actor pool.

The cache itself is the record of what is done (entries keyed by the image's content hash and
the SAM model id, written atomically), so a rerun encodes only the missing images and any
machine reading the same cache folder (the app included) accepts the entries. An actor reads
and decodes an image only when its entry is missing: with a filled cache a rerun costs one hash
per image, not a decode. Point --cache-dir at a folder every node shares.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from samic_core.embed import EmbedReport, embed_one
from samic_core.scale.ray_runtime import PoolPlan, blocks_for, build_engine, ray


class EmbedActor:
    """One SAM-holding worker: embed_one per image (cached, encoded, or failed: its error)."""

    def __init__(self, sam: dict[str, Any], device: str, cpus: float, tile: Any = "off") -> None:
        self.engine = build_engine(sam, device, cpus)
        self.tile = tile  # --tile (a TileSpec value)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, list[str]]:
        names, statuses, errors = [], [], []
        for raw in batch["path"]:
            path = Path(str(raw))
            status, error = "encoded", ""
            try:
                if embed_one(self.engine, path, tile=self.tile):
                    status = "cached"
            except Exception as e:  # noqa: BLE001 - one image must never stop the run
                status, error = "failed", str(e)
            names.append(path.name)
            statuses.append(status)
            errors.append(error)
        return {"image": names, "status": statuses, "error": errors}


def run_embed(args: Any, images: list[Path]) -> tuple[EmbedReport, str]:
    """Driver of `samic embed --ray`: returns the report and the cache folder."""
    from tqdm import tqdm

    from samic_core.sam.weights import resolve_checkpoint
    from samic_core.scale.ray_runtime import connected, plan_pool, sam_spec

    checkpoint = resolve_checkpoint(args.checkpoint, args.model_type)
    sam = sam_spec(args, str(checkpoint.resolve()))
    report = EmbedReport()
    if not images:
        return report, sam["cache_dir"]
    with connected(args.ray):
        plan: PoolPlan = plan_pool(args.gpus or 0, args.cpus_per_worker or 1.0)
        device = plan.device if args.device == "auto" else args.device
        rows = [{"path": str(p.resolve())} for p in images]
        ds: ray.data.Dataset = ray.data.from_items(
            rows, override_num_blocks=blocks_for(len(images))
        )
        ds = ds.map_batches(
            EmbedActor, fn_constructor_kwargs={"sam": sam, "device": device, "cpus": plan.num_cpus,
                                               "tile": getattr(args, "tile", "off")},
            batch_size=1, batch_format="numpy", **plan.map_batches_args(),
        )  # fmt: skip
        with tqdm(total=len(images), unit="img", desc="embedding") as bar:
            for row in ds.iter_rows():
                if row["status"] == "failed":
                    report.failed.append((row["image"], row["error"]))
                elif row["status"] == "cached":
                    report.cached += 1
                else:
                    report.encoded += 1
                bar.set_postfix_str(f"{row['image']} ({row['status']})")
                bar.update(1)
    return report, sam["cache_dir"]
