"""Auto-annotation: SAMIC's point prompts -> SAM masks -> SAMBOX annotations (source "predicted").

Each peak is its own object, prompted separately (or all peaks as one prompt); a peak whose mask
is the same object as a stronger peak's is dropped (objects.py). An image that has any manual or
reviewed object is never touched; earlier unreviewed predictions of the same label are replaced,
those of other labels kept (saving.py). Folders run through the pipeline (pipeline.py).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from samic_core.annotation import AnnotationStore
from samic_core.errors import SamicError
from samic_core.jobs import Progress, ShouldStop
from samic_core.paths import rasters_dir
from samic_core.peaks import PeakRule
from samic_core.predict.objects import DUPLICATE_IOU, Found, prompt_objects
from samic_core.predict.pipeline import (
    ClassJob,
    Tiling,
    auto_annotate_classes,
    find_objects,
    load_image,
)
from samic_core.predict.predictor import SamicPredictor
from samic_core.predict.saving import OUTCOMES, AutoAnnotateReport, ImageOutcome, save_found
from samic_core.predict.tiled import tiled_peaks
from samic_core.raster import open_raster
from samic_core.sam.click_engine import ClickEngine
from samic_core.tiles import samic_grid

__all__ = [
    "DUPLICATE_IOU",
    "OUTCOMES",
    "AutoAnnotateReport",
    "ImageOutcome",
    "annotate_image",
    "auto_annotate",
    "auto_annotate_classes",
    "suggest_objects",
]
log = logging.getLogger(__name__)


def suggest_objects(
    predictor: SamicPredictor,
    engine: ClickEngine,
    image_path: str | Path,
    label: str,
    one_prompt: bool = False,
    rule: PeakRule | None = None,
    image: np.ndarray | None = None,
    progress: Progress | None = None,
) -> Found:
    """[(points (N, 2) xy, SAM's mask for them)] for one image; empty when no peak was found.

    `label` names the class being suggested (for logging; the predictor's references decide
    what is found). one_prompt: send all peaks to SAM as a single object. rule: how peaks are
    found (default: the model's, samic_core/peaks/). image: the file's pixels when already
    read (read_image_rgb). progress: (tiles done, tiles, "tiles") while a model trained on
    tiles looks at a big image tile by tile.
    """
    mapped = False
    if image is None:  # a big image: memory-mapped from its copy on disk (samic_core/raster.py)
        raster = open_raster(Path(image_path), engine.image_sha256(image_path), rasters_dir())
        image, mapped = raster.pixels, raster.mapped
    grid = samic_grid("auto", image.shape[:2], predictor.tile)
    if grid is None:
        peaks = predictor.peaks(image, rule)
    else:  # a model trained on tiles looks at a big image tile by tile
        (peaks,) = tiled_peaks(predictor, image, grid, [predictor.references],
                               [predictor.rule_for(rule)], progress)  # fmt: skip
    log.debug("%s: %d %s peaks", Path(image_path).name, len(peaks), label)
    if not peaks:
        return []
    points = np.array([[p.x, p.y] for p in peaks], np.float64)
    emb, _ = engine.embed_file(image_path, image=None if mapped else image)
    return prompt_objects(engine, emb, points, one_prompt)


def annotate_image(
    predictor: SamicPredictor,
    engine: ClickEngine,
    path: Path,
    store: AnnotationStore,
    jobs: Sequence[ClassJob],
    one_prompt: bool = False,
    image: np.ndarray | None = None,
    tiling: Tiling | None = None,
) -> list[ImageOutcome]:
    """Predict every class of `jobs` for one image and save them (one atomic write, protection
    re-checked); one outcome per class; never raises for bad input.

    The pipeline's stages run for one image: the unit of the Ray path (samic_core/scale), so
    both write the same annotation. image: the already-read pixels, if any. tiling: as
    auto_annotate_classes' (default: the model's tile, `--tile auto`).
    """
    if tiling is None:
        tiling = Tiling(model_tile=predictor.tile)
    loaded = load_image(path, store, engine, predictor.image_size, image, tiling)
    if loaded.status:
        return loaded.outcomes(len(jobs))
    try:
        (found,) = find_objects(predictor, engine, [loaded], jobs, one_prompt)
    except (SamicError, OSError, ValueError) as e:
        log.warning("%s: %s", path.name, e)
        return [ImageOutcome(path.name, "failed", error=str(e)) for _ in jobs]
    return save_found(store, path, found, engine.model_id, loaded.hw, loaded.sha)


def auto_annotate(
    predictor: SamicPredictor,
    engine: ClickEngine,
    image_paths: Sequence[str | Path],
    store: AnnotationStore,
    label: str,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
    one_prompt: bool = False,
    rule: PeakRule | None = None,
    batch_size: int | None = None,
    tiling: Tiling | None = None,
) -> AutoAnnotateReport:
    """Predict and save annotations of `label` (the predictor's current references) for every
    image; never overwrites manual or reviewed work. See auto_annotate_classes (progress is
    called after each saved image, should_stop polled before each batch)."""
    reports = auto_annotate_classes(
        predictor, engine, image_paths, store, {label: predictor.references},
        progress, should_stop, one_prompt, rule, batch_size, tiling=tiling,
    )  # fmt: skip
    return reports[label]
