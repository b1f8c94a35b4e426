"""What every export format shares: the objects to export, reports, and all-or-nothing output.

`iter_items` yields each annotated image with one bool mask per exported object (taken from
the instance PNG, `instances == obj.id`); `staged_output` builds OUT in a hidden sibling folder
and renames it into place only when everything succeeded. `output_stems` names each image's
output files so that no two images ever share one (a.jpg and a.png: full names, not stems).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from samic_core.annotation import AnnotatedObject, AnnotationStore, ImageAnnotation
from samic_core.annotation.layout import image_of_json
from samic_core.errors import AnnotationError, ImageReadError, SamicError
from samic_core.fileio import STALE_SECONDS, normal_mode
from samic_core.jobs import Cancelled, Progress, ShouldStop
from samic_core.safepath import check_name

__all__ = ["Cancelled", "Progress", "ShouldStop"]  # and the export helpers below

# Progress(done, total, image name), ShouldStop and Cancelled: the shared ones in samic_core.jobs


@dataclass
class ExportObject:
    """One exported object: its annotation entry and its bool (H, W) mask."""

    obj: AnnotatedObject
    mask: np.ndarray


@dataclass
class ExportItem:
    """One annotated image ready for a format writer."""

    image_path: Path
    annotation: ImageAnnotation
    objects: list[ExportObject]
    out_stem: str | None = None  # base name of its output files (output_stems); None: its stem

    @property
    def size(self) -> tuple[int, int]:
        """(H, W) of the image."""
        return self.annotation.height, self.annotation.width

    @property
    def stem(self) -> str:
        """Base name of the image's output files: its stem, or its full name on a collision."""
        return self.out_stem or self.image_path.stem

    @property
    def paired_name(self) -> str:
        """Name of the image copy in formats that pair image and labels by stem (YOLO, VOC):
        `<stem><extension>`, which is the image's own name unless its stem collides."""
        return self.stem + self.image_path.suffix


@dataclass
class ExportReport:
    """What an export wrote and what it left out (and why)."""

    format: str
    out: Path
    images: int = 0
    objects: int = 0
    excluded_unreviewed: int = 0  # predicted objects nobody reviewed (kept with include_unreviewed)
    skipped_images: list[str] = field(default_factory=list)  # every object was unreviewed
    unannotated_images: int = 0  # images of the folder without an annotation file
    empty_objects: list[str] = field(default_factory=list)  # "image#id": no pixel left
    rle_objects: int = 0  # COCO: objects written as RLE because a polygon would lose holes
    cancelled: bool = False


@dataclass
class ImportReport:
    """What an import wrote, what it refused to overwrite, and what it could not represent."""

    format: str
    folder: Path
    images: int = 0
    objects: int = 0
    skipped_existing: list[str] = field(default_factory=list)  # had an annotation already
    warnings: list[str] = field(default_factory=list)
    cancelled: bool = False


@dataclass
class SourceImage:
    """One image of an import source: its size as the source states it, and its objects."""

    height: int
    width: int
    load: Callable[[], Iterable[tuple[str, np.ndarray]]]  # -> (label, bool (H, W) mask), ...


@dataclass
class ImportSource:
    """A parsed import source: class names in source order, images by file name."""

    classes: list[str]
    images: dict[str, SourceImage]
    warnings: list[str] = field(default_factory=list)


def annotation_files(store: AnnotationStore) -> list[Path]:
    """The per-image annotation JSONs of a store, sorted by name."""
    if not store.dir.is_dir():
        raise SamicError(f"{store.dir}: no annotations folder; annotate some images first")
    return store.annotation_files()


def output_stems(image_names: Iterable[str]) -> dict[str, str]:
    """Base name of each image's output files: its stem, or its full name where that collides.

    Stems collide when they are equal ignoring case (a.jpg and a.png; A.png and a.jpg on a
    case-insensitive disk). A full name may in turn equal another image's stem (a.jpg and
    a.jpg.png), so the rule is applied until no two base names collide; full names are unique,
    so that ends. The result depends only on the set of names, never on their order.
    """
    names = sorted(set(image_names))
    full: set[str] = set()
    while True:
        stems = {n: n if n in full else Path(n).stem for n in names}
        groups: dict[str, list[str]] = defaultdict(list)
        for name, stem in stems.items():
            groups[stem.casefold()].append(name)
        clash = {n for group in groups.values() if len(group) > 1 for n in group} - full
        if not clash:
            return stems
        full |= clash


def exported_image_names(store: AnnotationStore, files: list[Path]) -> list[str]:
    """The image each annotation file belongs to (what output_stems must keep apart)."""
    names = []
    for path in files:
        image = image_of_json(path.name)
        if image is None:  # layout 1: the JSON names its image
            try:
                image = store.load_json_file(path).image
            except AnnotationError:
                continue  # reported when the export loads it
        names.append(image)
    return names


def used_labels(store: AnnotationStore, files: list[Path]) -> list[str]:
    """Every object label of the readable files (a damaged file is reported when it is loaded)."""
    labels: list[str] = []
    for path in files:
        try:
            labels.extend(o.label for o in store.load_json_file(path).objects)
        except AnnotationError:
            continue
    return labels


def load_item(
    store: AnnotationStore, json_path: Path, include_unreviewed: bool, report: ExportReport
) -> ExportItem | None:
    """Load and check one annotation; None when nothing of it is exported (all unreviewed).

    Raises AnnotationError naming the file for a missing or changed image, a mask of the
    wrong size, an unknown class or stray instance ids (the checks of `AnnotationStore.load`),
    and UnsafeName when the JSON names its image by a path instead of a plain file name.
    """
    ann = store.load_json_file(json_path)
    check_name(json_path, "image", ann.image)  # a plain file name in the folder, never a path
    if store.json_path(ann.image) != json_path:
        raise AnnotationError(
            json_path, f"names image {ann.image!r}, whose annotation is elsewhere"
        )
    image_path = store.image_folder / ann.image
    if not image_path.is_file():
        raise ImageReadError(image_path, f"image of {json_path} does not exist")
    loaded = store.load(ann.image, verify_image=True)
    kept = []
    for obj in loaded.annotation.objects:
        if obj.source == "predicted" and not obj.reviewed and not include_unreviewed:
            report.excluded_unreviewed += 1
            continue
        kept.append(obj)
    if loaded.annotation.objects and not kept:
        report.skipped_images.append(ann.image)
        return None
    objects = []
    for obj in kept:
        mask = loaded.instances == obj.id
        if not mask.any():
            report.empty_objects.append(f"{ann.image}#{obj.id}")
            continue
        objects.append(ExportObject(obj, mask))
    return ExportItem(image_path, loaded.annotation, objects)


def copy_image(src: Path, dest_dir: Path, name: str | None = None) -> str:
    """Copy an image into `dest_dir` (created) as `name` (default: its own) and return that."""
    name = name or src.name
    dest_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dest_dir / name)
    return name


OWNER_FILENAME = ".samic-export-owner"  # "host pid" of the export building a staging folder


def _owner_alive(stage: Path) -> bool:
    """Whether the process that made a staging folder may still be running."""
    try:
        host, pid = (stage / OWNER_FILENAME).read_text().split()
    except (OSError, ValueError):
        return False
    if host != socket.gethostname():
        return True  # another machine's export: never ours to judge
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (OSError, ValueError):
        return True
    return True


def remove_stale_stages(out: Path, age: float = STALE_SECONDS) -> list[Path]:
    """Delete staging / old folders of `out` left by killed exports (dead owner and old)."""
    removed = []
    now = time.time()
    for prefix in (f".{out.name}.partial-", f".{out.name}.old-"):
        for p in out.parent.glob(f"{glob.escape(prefix)}*"):
            try:
                old = now - p.stat().st_mtime > age
            except OSError:
                continue
            if p.is_dir() and not p.is_symlink() and old and not _owner_alive(p):
                shutil.rmtree(p, ignore_errors=True)
                removed.append(p)
    return removed


@contextmanager
def staged_output(
    out: Path, overwrite: bool = False, protect: tuple[Path, ...] = ()
) -> Iterator[Path]:
    """Yield an empty staging folder beside `out`; on success it becomes `out`, else it is deleted.

    `out` may not exist or be an empty folder; a non-empty one is replaced only with
    `overwrite`, and never when it is or contains a `protect` folder (images, annotations).
    """
    out = Path(out).absolute()
    if out.exists() and not out.is_dir():
        raise SamicError(f"{out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()):
        if not overwrite:
            raise SamicError(f"{out}: folder is not empty; choose another or pass --overwrite")
        for p in (Path(x).resolve() for x in protect):
            if p == out.resolve() or out.resolve() in p.parents:
                raise SamicError(f"{out}: refusing to overwrite a folder that holds {p}")
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_stages(out)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    normal_mode(stage, directory=True)
    try:
        (stage / OWNER_FILENAME).write_text(f"{socket.gethostname()} {os.getpid()}\n")
        yield stage
        (stage / OWNER_FILENAME).unlink()
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    old = None
    if out.is_dir():
        if any(out.iterdir()):
            old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
            os.replace(out, old)
        else:
            out.rmdir()
    try:
        os.replace(stage, out)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        if old is not None:
            os.replace(old, out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
