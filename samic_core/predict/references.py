"""Choose reference images for K-shot prediction from an annotated folder."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from samic_core import raster
from samic_core.annotation import AnnotationStore
from samic_core.annotation.mask_points import object_points
from samic_core.annotation.models import is_trusted
from samic_core.config import DEFAULT_SHOTS
from samic_core.errors import SamicError
from samic_core.fileio import image_size, read_image_rgb, sha256_file
from samic_core.paths import rasters_dir
from samic_core.predict.tiled import reference_crop
from samic_core.tiles.spec import TileSpec, samic_side

if TYPE_CHECKING:
    from samic_core.predict.predictor import ReferenceSet, SamicPredictor

log = logging.getLogger(__name__)


def select_references(
    store: AnnotationStore, class_name: str, k: int = 5
) -> list[tuple[Path, np.ndarray]]:
    """Up to k (image path, (N, 2) xy points of `class_name`) from trusted annotations.

    Trusted = manual objects, or predicted objects a person reviewed, at the same points as for
    training (positive clicks, else the deepest point of the mask). Images marked done come
    first, then by name, so the choice is stable.
    """
    if k < 1:
        raise SamicError(f"need at least one reference, got k = {k}")
    found: list[tuple[bool, str, Path, np.ndarray]] = []
    for path in store.images():
        if not store.exists(path.name):
            continue
        ann = store.load_json(path.name)
        objects = [o for o in ann.objects if o.label == class_name and is_trusted(o)]
        if not objects:  # before hashing: most images of a big folder have none to offer
            continue
        instances = None  # read only for objects drawn without a click
        if any(not o.positive_points for o in objects):
            try:
                instances = store.load(path.name, verify_image=False).instances
            except SamicError as e:  # AnnotationError: the clicks of this image still count
                log.warning("%s", e)
        pts = [xy for o in objects for xy in object_points(o, instances)]
        if not pts:
            continue
        if ann.image != path.name or ann.image_sha256 != store.image_sha256(path):
            # another image with the same stem, or the image changed since it was annotated:
            # its points would not belong to this picture
            log.warning("%s: annotation does not match this image; not used as a reference", path)
            continue
        found.append((not ann.done, path.name.lower(), path, np.asarray(pts, np.float64)))
    found.sort(key=lambda t: (t[0], t[1]))
    return [(path, pts) for _, _, path, pts in found[:k]]


def choose_references(
    store: AnnotationStore,
    class_name: str,
    names: Sequence[str] | None = None,
    k: int = DEFAULT_SHOTS,
) -> list[tuple[Path, np.ndarray]]:
    """The references of `class_name`: the images `names` (each must be usable), else the first
    `k` of `select_references`. Raises SamicError naming the folder when there is none."""
    if names:
        candidates = select_references(store, class_name, k=len(store.images()) or 1)
        wanted = set(names)
        chosen = [c for c in candidates if c[0].name in wanted]
        missing = sorted(wanted - {p.name for p, _ in chosen})
        if missing:
            raise SamicError(
                f"{', '.join(missing)}: not usable as references of {class_name!r} (no manual "
                "or reviewed objects of that class with a click or a mask)"
            )
    else:
        chosen = select_references(store, class_name, k)
    if not chosen:
        raise SamicError(
            f"{store.image_folder}: no manual or reviewed annotations of class {class_name!r} "
            "to use as references; annotate one by hand (or accept a reviewed prediction) first"
        )
    return chosen


def reference_object_radius(
    store: AnnotationStore, image_name: str, class_name: str
) -> float | None:
    """Median equivalent radius sqrt(area / pi) of the image's `class_name` objects, as a
    fraction of the image's longer side; None when their masks cannot be read.

    It sets the suppression radius of the `nms` peak rule (samic_core/peaks/), so that two
    touching objects keep a prompt each while one object does not get several.
    """
    try:
        loaded = store.load(image_name, verify_image=False)
    except SamicError as e:  # AnnotationError is a SamicError
        log.warning("%s", e)
        return None
    ids = [o.id for o in loaded.annotation.objects if o.label == class_name]
    if not ids:
        return None
    inst = loaded.instances
    counts = np.bincount(inst.ravel(), minlength=max(ids) + 1)
    areas = np.array([counts[i] for i in ids if i < len(counts) and counts[i] > 0], np.float64)
    if len(areas) == 0:
        return None
    return float(np.median(np.sqrt(areas / np.pi)) / max(inst.shape))


def reference_pixels(path: Path) -> np.ndarray:
    """A reference image's (H, W, 3) pixels; one over RASTER_PIXELS memory-mapped from its
    decoded copy (samic_core/raster.py), so five references of a 400 MP photo are not 6 GB in
    memory: a model trained on tiles reads only the window around their objects."""
    hw = image_size(path)
    if hw is not None and hw[0] * hw[1] > raster.RASTER_PIXELS:
        return raster.open_raster(path, sha256_file(path), rasters_dir()).pixels
    return read_image_rgb(path)


def encode_class_references(
    predictor: SamicPredictor,
    store: AnnotationStore,
    class_name: str,
    references: list[tuple[Path, np.ndarray]],
    tile: TileSpec = "auto",
) -> ReferenceSet:
    """These (image path, points) of `store` as the predictor's network reads them, with the
    median radius of their `class_name` objects (for the `nms` peak rule). When SAMIC looks at
    big images in tiles (`tile`, as `--tile`: auto = the model's side), each reference is the
    tile-sized window around its objects (predict/tiled.py), so both have one scale."""
    radii = [reference_object_radius(store, p.name, class_name) for p, _ in references]
    images = [reference_pixels(p) for p, _ in references]
    points = [pts for _, pts in references]
    side = samic_side(tile, predictor.tile)
    if side is not None:
        radii = [  # a share of the image's longer side: of the crop's now
            None if r is None else r * max(im.shape[:2]) / min(side, max(im.shape[:2]))
            for r, im in zip(radii, images, strict=True)
        ]
        crops = [reference_crop(im, pts, side) for im, pts in zip(images, points, strict=True)]
        images, points = [c[0] for c in crops], [c[1] for c in crops]
    known = [r for r in radii if r is not None]
    return predictor.encode_references(images, points, float(np.median(known)) if known else None)


def use_references(
    predictor: SamicPredictor,
    store: AnnotationStore,
    class_name: str,
    references: list[tuple[Path, np.ndarray]],
) -> None:
    """Set the predictor's references to these (see `encode_class_references`)."""
    predictor.use(encode_class_references(predictor, store, class_name, references))
