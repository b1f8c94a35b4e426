"""`samic predict --ray`: the auto-annotation of a folder as a Ray Data pipeline.

    image paths (driver, minus those the run's ledger has finished)
      -> read + decode on CPU tasks (a corrupt file becomes an error row, the run goes on)
      -> SAMIC + SAM on an actor pool (models and references loaded once per actor)
      -> annotate_image: all classes in one SAMIC pass, one atomic protection-checked save
      -> the image's ledger marker (samic_core/scale/ledger.py), then a row back to the driver

Images and annotations live on a filesystem every node shares. A rerun of the same command
skips the finished images; an image is claimed (flock stripe) while it is processed, so two
workers never write it at the same time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from samic_core.config import DEFAULT_PRECISION
from samic_core.errors import SamicError
from samic_core.predict.autoannotate import annotate_image
from samic_core.predict.saving import AutoAnnotateReport, ImageOutcome
from samic_core.scale.ledger import RunLedger
from samic_core.scale.ray_runtime import READER_CPUS, PoolPlan, blocks_for, build_engine, ray

_NO_IMAGE = np.zeros((1, 1, 3), np.uint8)  # placeholder pixels of a row whose read failed


def read_row(row: dict[str, Any]) -> dict[str, Any]:
    """CPU stage: decode one image (EXIF-oriented RGB); an unreadable one becomes an error row.

    An image over RASTER_PIXELS is not decoded here (`mapped`): the actor memory-maps it, as the
    local path and the app do, so its pixels never travel through Ray's object store."""
    from samic_core.errors import SamicError
    from samic_core.fileio import image_size, read_image_rgb
    from samic_core.raster import RASTER_PIXELS

    path = row["path"]
    try:
        hw = image_size(path)
        if hw is not None and hw[0] * hw[1] > RASTER_PIXELS:
            return {"path": path, "pixels": _NO_IMAGE, "error": "", "mapped": True}
        return {"path": path, "pixels": read_image_rgb(path), "error": "", "mapped": False}
    except (SamicError, OSError, ValueError) as e:
        return {"path": path, "pixels": _NO_IMAGE, "error": str(e), "mapped": False}


@dataclass
class PredictJob:
    """Everything an actor needs, as plain values (shipped to every actor once)."""

    model: str
    refs_folder: str
    references: dict[str, list[tuple[str, list[list[float]]]]]  # class -> [(image, points)]
    images_folder: str
    out: str | None
    sam: dict[str, Any]
    one_prompt: bool
    rule: Any  # PeakRule (picklable dataclass)
    ledger: str
    device: str = "cpu"
    cpus: float = 1.0
    labels: list[str] = field(default_factory=list)
    backbone_weights: str | None = None  # --backbone-weights (None: the model file's source)
    tile: Any = "auto"  # --tile and --sam-tile (TileSpec values)
    sam_tile: Any = "auto"


class PredictActor:
    """One model-holding worker: loads SAMIC, its references and SAM once, then per image runs
    annotate_image for all classes at once (the unit of the local pipeline)."""

    def __init__(self, job: PredictJob) -> None:
        from samic_core.annotation import AnnotationStore
        from samic_core.predict.pipeline import Tiling, class_jobs
        from samic_core.predict.predictor import SamicPredictor
        from samic_core.predict.references import encode_class_references

        self.job = job
        self.engine = build_engine(job.sam, job.device, job.cpus)
        precision = job.sam.get("precision", DEFAULT_PRECISION)
        self.predictor = SamicPredictor.from_file(
            job.model, job.device, backbone_weights=job.backbone_weights, precision=precision
        )
        ref_store = AnnotationStore(job.refs_folder)
        sets = {}
        for label in job.labels:
            refs = [(Path(p), np.asarray(pts, np.float64)) for p, pts in job.references[label]]
            sets[label] = encode_class_references(self.predictor, ref_store, label, refs, job.tile)
        self.jobs = class_jobs(self.predictor, sets, job.rule)
        self.tiling = Tiling(job.tile, job.sam_tile, self.predictor.tile)
        self.store = AnnotationStore(job.images_folder, job.out)
        self.ledger = RunLedger(job.ledger)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, list[str]]:
        names, results = [], []
        mapped_col = batch.get("mapped", [False] * len(batch["path"]))
        rows = zip(batch["path"], batch["pixels"], batch["error"], mapped_col, strict=True)
        for path, pixels, error, mapped in rows:
            path = Path(str(path))
            outcomes = self._one(path, None if mapped else np.asarray(pixels), str(error))
            names.append(path.name)
            results.append(json.dumps([asdict(o) for o in outcomes]))
        return {"image": names, "outcomes": results}

    def _one(self, path: Path, pixels: np.ndarray | None, error: str) -> list[ImageOutcome]:
        """pixels: None for an image the actor memory-maps (over RASTER_PIXELS)."""
        if error:
            return [ImageOutcome(path.name, "failed", error=error) for _ in self.job.labels]
        with self.ledger.claim(path.name):
            done = self.ledger.finished(path, self.store)
            if done is not None:  # finished meanwhile (a worker of an earlier, killed run)
                return done
            try:
                outcomes = annotate_image(self.predictor, self.engine, path, self.store,
                                          self.jobs, self.job.one_prompt, pixels,
                                          self.tiling)  # fmt: skip
            except Exception as e:  # noqa: BLE001 - one image must never stop the run
                outcomes = [ImageOutcome(path.name, "failed", error=f"{e!r}") for _ in self.jobs]
            if all(o.status != "failed" for o in outcomes):
                with self.store.lock():  # the marker records the annotation as the run left it
                    if self._still_written(path.name, outcomes):
                        self.ledger.record(path, outcomes, self.store)
            return outcomes

    def _still_written(self, name: str, outcomes: list[ImageOutcome]) -> bool:
        """Whether every class this image was written for still has objects in it (a user may
        have cleared it since the save; then no marker, and a rerun does it again)."""
        wanted = {lab for lab, o in zip(self.job.labels, outcomes, strict=True) if o.objects}
        if not wanted:
            return True
        try:
            labels = {o.label for o in self.store.load_json(name).objects}
        except SamicError:
            return False
        current = self.store.current_labels(sorted(wanted))
        return all(current[lab] in labels for lab in wanted)


def run_pipeline(job: PredictJob, todo: list[Path], plan: PoolPlan) -> Iterator[list[ImageOutcome]]:
    """Run the pipeline over `todo`, yielding each image's outcomes (one per class) as they
    finish; stopping the iteration (Ctrl+C) stops the run."""
    if not todo:
        return
    rows = [{"path": str(p)} for p in todo]
    ds: ray.data.Dataset = ray.data.from_items(rows, override_num_blocks=blocks_for(len(todo)))
    ds = ds.map(read_row, num_cpus=READER_CPUS)
    ds = ds.map_batches(
        PredictActor, fn_constructor_kwargs={"job": job}, batch_size=1, batch_format="numpy",
        **plan.map_batches_args(),
    )  # fmt: skip
    for row in ds.iter_rows():
        yield [ImageOutcome(**o) for o in json.loads(row["outcomes"])]


@dataclass
class ScaleSummary:
    """Per class: the local path's report, plus how many images an earlier run had finished."""

    reports: dict[str, AutoAnnotateReport]
    resumed: int = 0

    def add(self, outcomes: list[ImageOutcome], labels: list[str]) -> None:
        for label, outcome in zip(labels, outcomes, strict=True):
            self.reports[label].add(outcome)


def run_predict(
    args: Any,
    references: dict[str, list[tuple[Path, np.ndarray]]],
    images: list[Path],
    rule: Any,
    out_dir: Path,
) -> tuple[dict[str, AutoAnnotateReport], int]:
    """Driver of `samic predict --ray`: skip what this run's ledger has finished, run the rest
    on the cluster with a per-image progress bar; returns (report per class, images resumed)."""
    from tqdm import tqdm

    from samic_core.annotation import AnnotationStore
    from samic_core.fileio import sha256_file
    from samic_core.sam.checkpoint_id import checkpoint_sha256
    from samic_core.sam.weights import resolve_checkpoint
    from samic_core.scale.ledger import run_key
    from samic_core.scale.ray_runtime import connected, plan_pool, sam_spec

    labels = list(references)
    checkpoint = resolve_checkpoint(args.checkpoint, args.model_type)
    refs = {
        c: [(str(Path(p).resolve()), np.asarray(pts).tolist()) for p, pts in r]
        for c, r in references.items()
    }
    key = run_key({
        "model": sha256_file(args.model), "sam": checkpoint_sha256(checkpoint),
        "model_type": args.model_type, "references": {c: [(Path(p).name, pts) for p, pts in r]
                                                      for c, r in refs.items()},
        "rule": asdict(rule), "one_prompt": args.one_prompt,
        "precision": getattr(args, "precision", DEFAULT_PRECISION),
    })  # fmt: skip
    tiles = (getattr(args, "tile", "auto"), getattr(args, "sam_tile", "auto"))
    if tiles != ("auto", "auto"):  # other tiles write other annotations: another run
        key = run_key({"run": key, "tiles": list(tiles)})
    ledger = RunLedger.for_run(out_dir, key)
    finished = ledger.all_finished(images, AnnotationStore(args.images, args.out))
    summary = ScaleSummary({c: AutoAnnotateReport() for c in labels}, resumed=len(finished))
    for outcomes in finished.values():
        summary.add(outcomes, labels)
    todo = [p for p in images if p.name not in finished]
    with connected(args.ray):
        plan = plan_pool(args.gpus or 0, args.cpus_per_worker or 1.0)
        job = PredictJob(
            model=str(Path(args.model).resolve()), refs_folder=str(Path(args.refs).resolve()),
            references=refs, images_folder=str(Path(args.images).resolve()),
            out=None if args.out is None else str(Path(args.out).resolve()),
            sam=sam_spec(args, str(checkpoint.resolve())), one_prompt=args.one_prompt, rule=rule,
            ledger=str(ledger.root.resolve()), device=_device(args, plan), cpus=plan.num_cpus,
            labels=labels, backbone_weights=_backbone_weights(args), tile=tiles[0],
            sam_tile=tiles[1],
        )  # fmt: skip
        with tqdm(total=len(images), initial=len(finished), unit="img", desc="predicting") as bar:
            for outcomes in run_pipeline(job, todo, plan):
                summary.add(outcomes, labels)
                bar.set_postfix_str(outcomes[0].image if outcomes else "")
                bar.update(1)
    return summary.reports, summary.resumed


def _backbone_weights(args: Any) -> str | None:
    """--backbone-weights as the actors need it: a file as an absolute path."""
    weights = getattr(args, "backbone_weights", None)
    if weights is None or weights in ("imagenet", "none"):
        return weights
    return str(Path(weights).resolve())


def _device(args: Any, plan: PoolPlan) -> str:
    """--device when given, else the plan's (cuda for GPU actors, cpu otherwise)."""
    return plan.device if args.device == "auto" else args.device
