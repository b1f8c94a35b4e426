"""Write an import source into a folder's AnnotationStore as manual objects with masks."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from samic_core.annotation import AnnotatedObject, AnnotationStore, ImageAnnotation
from samic_core.annotation.models import MAX_PIXELS
from samic_core.errors import FileProblem
from samic_core.export.common import (
    Cancelled,
    ImportReport,
    ImportSource,
    Progress,
    ShouldStop,
)
from samic_core.export.limits import PIL_LIMIT, header_size
from samic_core.fileio import exif_orientation, oriented_size
from samic_core.safepath import child

__all__ = ["PIL_LIMIT", "check_source_images", "image_size", "write_source"]


def image_size(path: Path) -> tuple[int, int]:
    """(H, W) as shown (EXIF orientation applied) from the image header.

    Images up to MAX_PIXELS are accepted (Pillow's decompression-bomb guard is set to that
    limit for SAMIC, see limits.PIL_LIMIT); larger ones are refused, naming the file, before
    anything is decoded.
    """
    h, w = header_size(path, "image", MAX_PIXELS)
    w, h = oriented_size(w, h, exif_orientation(path))
    return h, w


def check_source_images(source: ImportSource, src: Path, folder: Path) -> None:
    """Every image of the source must be a plain file name in `folder` with the size the source
    states. The folder is the user's own, so its images may link in from elsewhere."""
    for name in source.images:
        child(folder, name, src, "image name", contained=False)
    missing = [name for name in source.images if not (folder / name).is_file()]
    if missing:
        shown = ", ".join(missing[:5]) + (
            f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        )
        raise FileProblem(src, f"{len(missing)} image(s) not found in {folder}: {shown}")
    for name, im in source.images.items():
        h, w = image_size(folder / name)
        if (h, w) != (im.height, im.width):
            raise FileProblem(
                src,
                f"says {name} is {im.width}x{im.height} but {folder / name} is {w}x{h}",
            )


def write_source(
    source: ImportSource,
    src: Path,
    store: AnnotationStore,
    report: ImportReport,
    overwrite: bool = False,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
) -> None:
    """Save each source image's objects with `store` (never replacing one without `overwrite`).

    Larger objects are painted first so a smaller object on top of a larger one stays visible;
    an object left without pixels is dropped with a warning. Prompts stay empty.
    """
    check_source_images(source, src, store.image_folder)
    for name, im in source.images.items():  # decode every mask once first: bad data writes nothing
        if should_stop is not None and should_stop():
            raise Cancelled
        if overwrite or not store.exists(name):
            for _ in im.load():  # decoded and dropped one object at a time
                pass
    report.warnings.extend(source.warnings)
    if source.classes:
        store.ensure_classes(source.classes)
    total = len(source.images)
    for i, (name, im) in enumerate(source.images.items()):
        if should_stop is not None and should_stop():
            raise Cancelled
        if store.exists(name) and not overwrite:
            report.skipped_existing.append(name)
        else:
            _write_image(name, im.height, im.width, im.load(), store, report)
        if progress is not None:
            progress(i + 1, total, name)


def _crop(mask: np.ndarray) -> tuple[int, int, np.ndarray]:
    """(top, left, the mask inside its bounding box): what an object costs to keep."""
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    if not len(rows):
        return 0, 0, np.zeros((0, 0), bool)
    return int(rows[0]), int(cols[0]), mask[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1].copy()


def _write_image(
    name: str,
    h: int,
    w: int,
    labelled: Iterable[tuple[str, np.ndarray]],
    store: AnnotationStore,
    report: ImportReport,
) -> None:
    pieces = [(label, *_crop(np.asarray(mask, bool))) for label, mask in labelled]
    order = sorted(range(len(pieces)), key=lambda k: -int(pieces[k][3].sum()))
    instances = np.zeros((h, w), np.uint16)
    for k in order:  # larger first: a smaller object on top of a larger one stays visible
        _, y0, x0, sub = pieces[k]
        instances[y0 : y0 + sub.shape[0], x0 : x0 + sub.shape[1]][sub] = k + 1
    present = set(np.unique(instances).tolist())
    objects = []
    for k, (label, _, _, sub) in enumerate(pieces):
        if k + 1 not in present:
            why = "is empty" if not sub.any() else "is hidden under other objects"
            report.warnings.append(f"{name}: object {k + 1} ({label}) {why}; dropped")
            continue
        objects.append(AnnotatedObject(id=k + 1, label=label, source="manual", reviewed=True))
    ann = ImageAnnotation(
        image=name,
        image_sha256=store.image_sha256(store.image_folder / name),
        width=w,
        height=h,
        objects=objects,
    )
    store.save(ann, instances)
    report.images += 1
    report.objects += len(objects)
