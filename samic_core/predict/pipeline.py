"""The auto-annotation pipeline: loaders -> SAMIC + SAM in batches -> writer.

    loader threads (bounded read-ahead): protection check, read + decode (an image over
        RASTER_PIXELS memory-mapped, samic_core/raster.py), resize for SAMIC and for SAM's
        encoder, content hash
    the calling thread, per batch of images: SAMIC once for all images and all classes
        (one backbone pass, one learner pass over every (image, reference) pair), peaks,
        SAM embeddings (cached ones read, the rest encoded in one batch), batched decodes
    a writer thread: each image's objects of every class saved in one atomic write, the
        protection re-checked right before (saving.save_found)

so the GPU (or the CPU's cores) never waits for a file to be read or written. Every image gets
one outcome per class; a corrupt image is "failed", never fatal; an error in a stage (e.g. the
GPU running out of memory) stops the run cleanly and is raised. Results equal the one-image
path (`annotate_image`) with batch_size 1, and up to float rounding with larger batches.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from samic_core.annotation import AnnotationStore
from samic_core.annotation.models import MAX_PIXELS
from samic_core.errors import ImageReadError, SamicError
from samic_core.fileio import image_size as header_size
from samic_core.fileio import read_image_rgb
from samic_core.heatmap import Peak
from samic_core.jobs import Progress, ShouldStop
from samic_core.model.transforms import image_to_tensor
from samic_core.paths import rasters_dir
from samic_core.peaks import PeakRule
from samic_core.predict.objects import Decoder, Found, WholeImage, decode_objects
from samic_core.predict.predictor import ReferenceSet, SamicPredictor
from samic_core.predict.saving import AutoAnnotateReport, ImageOutcome, protected_on_disk
from samic_core.predict.tiled import tiled_peaks
from samic_core.predict.writer import SaveItem, Writer
from samic_core.raster import open_raster
from samic_core.sam.click_engine import ClickEngine
from samic_core.sam.tiled import TiledImage
from samic_core.sam.types import PreparedImage
from samic_core.tiles import TileGrid, TileSpec, sam_grid, samic_grid

log = logging.getLogger(__name__)

LOADERS = 2  # loader threads: reading and resizing keep ahead of a GPU with two
GPU_BATCH = 8  # images per SAMIC / SAM-encoder pass on CUDA: one pass of 8 beats 8 single ones


def default_batch_size(device: torch.device) -> int:
    """GPU_BATCH on CUDA; 1 on CPU, where batching gains nothing and costs memory."""
    return GPU_BATCH if device.type == "cuda" else 1


@dataclass(frozen=True)
class ClassJob:
    """One class to predict: its references and its peak rule (radius already filled)."""

    label: str
    refs: ReferenceSet
    rule: PeakRule


def class_jobs(
    predictor: SamicPredictor, classes: Mapping[str, ReferenceSet], rule: PeakRule | None = None
) -> list[ClassJob]:
    """`rule` (default: the model's) for each class, with that class's objects' radius."""
    base = rule or predictor.default_rule
    return [ClassJob(c, r, base.with_object_radius(r.object_radius)) for c, r in classes.items()]


@dataclass(frozen=True)
class Tiling:
    """When big images are cut into tiles (samic_core/tiles/spec.py): `samic` for SAMIC's
    look (auto: the model's training tile), `sam` for SAM's embeddings (auto: 1024 px tiles
    of images over 4096 px); `model_tile` is the model's (`SamicPredictor.tile`)."""

    samic: TileSpec = "auto"
    sam: TileSpec = "auto"
    model_tile: int | None = None

    def grids(self, hw: tuple[int, int]) -> tuple[TileGrid | None, TileGrid | None]:
        """(SAMIC's grid, SAM's grid) for an (H, W) image; None: whole."""
        return samic_grid(self.samic, hw, self.model_tile), sam_grid(self.sam, hw)


@dataclass
class LoadedImage:
    """One image after the loader: ready to predict, or already decided (status set)."""

    path: Path
    status: str = ""  # "" to predict; else "protected" or "failed"
    error: str = ""
    target: torch.Tensor | None = None  # (3, S, S) SAMIC input in [0, 1]; None: tiled
    sam_input: PreparedImage | None = None  # resized for the encoder; None: tiled
    hw: tuple[int, int] = (0, 0)  # the image's (H, W)
    sha: str | None = None  # the file's content hash
    pixels: np.ndarray | None = None  # (H, W, 3) kept only while a grid needs its tiles
    samic_grid: TileGrid | None = None
    sam_grid: TileGrid | None = None

    def outcomes(self, n: int) -> list[ImageOutcome]:
        return [ImageOutcome(self.path.name, self.status, error=self.error) for _ in range(n)]

    @property
    def encoder_input(self) -> PreparedImage:
        """The image resized for SAM's encoder; every image loaded to predict has one."""
        if self.sam_input is None:
            raise ValueError(f"{self.path.name}: was not loaded for the encoder")
        return self.sam_input

    def to_save(self, found: dict[str, Found] | None) -> SaveItem:
        """What the writer keeps of this image (not its pixels: the queue stays small)."""
        return SaveItem(self.path, self.status, self.error, self.hw, self.sha, found)


def load_image(
    path: Path,
    store: AnnotationStore,
    engine: ClickEngine,
    image_size: int,
    image: np.ndarray | None = None,
    tiling: Tiling | None = None,
) -> LoadedImage:
    """The loader stage for one image (thread-safe); never raises for a bad file. tiling:
    None looks at every image whole."""
    try:
        if protected_on_disk(store, path.name):
            return LoadedImage(path, "protected")
        size = image.shape[:2] if image is not None else header_size(path)
        if size is not None and size[0] * size[1] > MAX_PIXELS:  # no annotation could hold it
            raise ImageReadError(
                path, f"{size[1]} x {size[0]} pixels is over the {MAX_PIXELS / 1e6:.0f} MP an "
                "annotation holds; cut it into parts",
            )  # fmt: skip
        sha = engine.image_sha256(path)
        given, overview = image is not None, None
        if image is None:  # an image over RASTER_PIXELS: memory-mapped, as the app opens it
            raster = open_raster(path, sha, rasters_dir())
            image, overview = raster.pixels, raster.overview if raster.mapped else None
        hw = (int(image.shape[0]), int(image.shape[1]))
        samic, sam = tiling.grids(hw) if tiling is not None else (None, None)
        tiled = samic is not None or sam is not None
        if sam is not None:
            sam_input = None
        elif overview is not None:  # encoded from its overview, as the app embeds it
            sam_input = engine.prepare_overview(overview, hw, sha, path.name)
        else:
            sam_input = engine.prepare(image, sha, path.name)
        return LoadedImage(
            path,
            target=image_to_tensor(image, image_size) if samic is None else None,
            sam_input=sam_input,
            hw=hw,
            sha=sha,
            # a tiled image read here is read again when its turn comes: the read-ahead
            # queue must not hold several big images' pixels (a memory map costs nothing)
            pixels=image if tiled and (given or overview is not None) else None,
            samic_grid=samic,
            sam_grid=sam,
        )
    except (SamicError, OSError, ValueError) as e:
        log.warning("%s: %s", path.name, e)
        return LoadedImage(path, "failed", str(e))


def pixels_of(image: LoadedImage) -> np.ndarray:
    """A tiled image's pixels: as given to the loader, else read again now (load_image)."""
    return image.pixels if image.pixels is not None else read_image_rgb(image.path)


def find_objects(
    predictor: SamicPredictor,
    engine: ClickEngine,
    batch: Sequence[LoadedImage],
    jobs: Sequence[ClassJob],
    one_prompt: bool = False,
) -> list[dict[str, Found]]:
    """SAMIC + SAM for loaded images (status ""): per image, each class's objects. Images
    with a SAMIC grid are looked at tile by tile, images with a SAM grid decoded in tiles."""
    if not batch:
        return []
    peaks: list[list[list[Peak]]] = [[] for _ in batch]  # [image][class] -> strongest first
    whole = [i for i, b in enumerate(batch) if b.samic_grid is None]
    if whole:
        targets = torch.stack([batch[i].target for i in whole])  # type: ignore[misc]
        maps = predictor.class_heatmaps_torch(targets.to(predictor.device), [j.refs for j in jobs])
        for k, i in enumerate(whole):
            peaks[i] = [predictor.peaks_from_maps(maps[j][k], batch[i].hw, job.rule)
                        for j, job in enumerate(jobs)]  # fmt: skip
    read: dict[int, np.ndarray] = {}  # a tiled image's pixels, read once for both networks

    def pixels(i: int) -> np.ndarray:
        if i not in read:
            read[i] = pixels_of(batch[i])
        return read[i]

    for i, b in enumerate(batch):
        if b.samic_grid is not None:
            refs, rules = [j.refs for j in jobs], [j.rule for j in jobs]
            peaks[i] = tiled_peaks(predictor, pixels(i), b.samic_grid, refs, rules)
    need = [i for i in range(len(batch)) if any(peaks[i]) and batch[i].sam_grid is None]
    inputs = [batch[i].encoder_input for i in need]
    embs = dict(zip(need, engine.embed_prepared(inputs), strict=True))
    out = []
    for i, b in enumerate(batch):
        found: dict[str, Found] = {}
        decoder: Decoder | None = None
        if i in embs:
            decoder = WholeImage(engine, embs[i], crop=True)
        elif b.sam_grid is not None and b.sha is not None and any(peaks[i]):
            decoder = TiledImage(engine, pixels(i), b.sha, b.sam_grid, b.path.name)
        for j, job in enumerate(jobs):
            pts = np.array([[p.x, p.y] for p in peaks[i][j]], np.float64).reshape(-1, 2)
            found[job.label] = (
                decode_objects(decoder, pts, one_prompt) if len(pts) and decoder else []
            )
        out.append(found)
        read.pop(i, None)  # this image is done: its pixels go
    return out


class _BatchSize:
    """The batch size, halved for the rest of the run when the device runs out of memory."""

    def __init__(self, size: int) -> None:
        self.value = max(1, size)


def _find_isolated(
    predictor: SamicPredictor,
    engine: ClickEngine,
    batch: list[LoadedImage],
    jobs: Sequence[ClassJob],
    one_prompt: bool,
    size: _BatchSize,
) -> list[dict[str, Found] | None]:
    """find_objects for a batch. Out of device memory: the batch is halved (for the rest of the
    run too) and retried. Bad input: image by image, so only the image at fault is marked
    "failed" (its status set, None returned for it)."""
    try:
        return list(find_objects(predictor, engine, batch, jobs, one_prompt))
    except torch.OutOfMemoryError:
        if len(batch) == 1:
            raise
        half = len(batch) // 2
        size.value = min(size.value, half)
        log.warning("out of device memory at %d images per batch; now %d", len(batch), half)
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        return [
            *_find_isolated(predictor, engine, batch[:half], jobs, one_prompt, size),
            *_find_isolated(predictor, engine, batch[half:], jobs, one_prompt, size),
        ]
    except (SamicError, OSError, ValueError) as e:
        if len(batch) == 1:
            log.warning("%s: %s", batch[0].path.name, e)
            batch[0].status, batch[0].error = "failed", str(e)
            return [None]
    return [_find_isolated(predictor, engine, [b], jobs, one_prompt, size)[0] for b in batch]


def _read_ahead(
    pool: ThreadPoolExecutor, load: Callable[[Path], LoadedImage], paths: Iterable[Path], depth: int
) -> Iterator[LoadedImage]:
    """load(path) for each path on the pool, in order, at most `depth` images ahead."""
    pending: deque[Future[LoadedImage]] = deque()
    it = iter(paths)
    for path in it:
        pending.append(pool.submit(load, path))
        if len(pending) >= depth:
            break
    while pending:
        done = pending.popleft().result()
        nxt = next(it, None)
        if nxt is not None:
            pending.append(pool.submit(load, nxt))
        yield done


def _batches(items: Iterator[LoadedImage], size: _BatchSize) -> Iterator[list[LoadedImage]]:
    batch: list[LoadedImage] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size.value:
            yield batch
            batch = []
    if batch:
        yield batch


def auto_annotate_classes(
    predictor: SamicPredictor,
    engine: ClickEngine,
    image_paths: Sequence[str | Path],
    store: AnnotationStore,
    classes: Mapping[str, ReferenceSet],
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
    one_prompt: bool = False,
    rule: PeakRule | None = None,
    batch_size: int | None = None,
    loaders: int = LOADERS,
    tiling: Tiling | None = None,
) -> dict[str, AutoAnnotateReport]:
    """Predict and save every class of `classes` for every image, one report per class.

    rule: the peak rule (default the model's), each class's suppression radius from its
    references. batch_size: images per SAMIC and SAM-encoder pass (default_batch_size).
    tiling: when images are cut into tiles (default: `Tiling` with the model's tile: big images
    are tiled as `--tile auto` says, ordinary ones looked at whole).
    progress(done, total, image name) is called from the writer thread after each image is
    saved; should_stop is polled before each batch (the images already predicted are saved).
    """
    start = time.perf_counter()
    jobs = class_jobs(predictor, classes, rule)
    labels = [j.label for j in jobs]
    reports = {label: AutoAnnotateReport() for label in labels}
    paths = [Path(p) for p in image_paths]
    size = _BatchSize(batch_size or default_batch_size(engine.device))
    counter = {"done": 0}

    def done(name: str, outcomes: list[ImageOutcome]) -> None:
        for label, outcome in zip(labels, outcomes, strict=True):
            reports[label].add(outcome)
            if outcome.status == "written" and reports[label].first_write_s is None:
                for r in reports.values():
                    r.first_write_s = time.perf_counter() - start
        counter["done"] += 1
        if progress is not None:
            progress(counter["done"], len(paths), name)

    if tiling is None:
        tiling = Tiling(model_tile=predictor.tile)

    def load(path: Path) -> LoadedImage:
        return load_image(path, store, engine, predictor.image_size, tiling=tiling)

    writer = Writer(store, engine.model_id, labels, done, maxsize=2 * size.value)
    pool = ThreadPoolExecutor(max(1, loaders), thread_name_prefix="samic-load")
    loaded = _read_ahead(pool, load, paths, depth=2 * size.value + loaders)
    cancelled = False
    try:
        for batch in _batches(loaded, size):
            if should_stop is not None and should_stop():
                cancelled = True
                break
            todo = [b for b in batch if not b.status]
            found = _find_isolated(predictor, engine, todo, jobs, one_prompt, size)
            by_image = {id(b): f for b, f in zip(todo, found, strict=True)}
            for b in batch:  # in folder order; a failed one carries its status
                writer.put(b.to_save(None if b.status else by_image[id(b)]))
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        writer.close(reraise=False)  # what is queued is saved; this error is the one raised
        raise
    pool.shutdown(wait=True, cancel_futures=True)
    writer.close()
    for r in reports.values():
        r.cancelled = cancelled
        r.seconds = time.perf_counter() - start
    return reports
