"""Read and write the annotations of an image folder (layouts in `samic_core.annotation.layout`).

Guarantees (docs/format.md): a save is one unit (mask files under new names first, then the JSON
that names them renamed into place: a kill at any moment leaves the old annotation or the new
one); writers of one folder are serialised by a lock file, and classes.json is merged, never
written back from a stale copy; every image file has its own annotation files. Every read
validates and raises AnnotationError naming the bad file.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from pydantic import ValidationError

from samic_core.annotation import class_edits, layout, merge
from samic_core.annotation.classes import (
    check_classes,
    current_name,
    merged,
    read_classes,
    read_renames,
    write_classes,
    write_renames,
)
from samic_core.annotation.layout import CLASS_RENAMES_FILENAME, CLASSES_FILENAME
from samic_core.annotation.masks import semantic_from_instances
from samic_core.annotation.merge import ObjectKey
from samic_core.annotation.models import (
    SCHEMA_VERSION,
    AnnotatedObject,
    ImageAnnotation,
    MaskFiles,
)
from samic_core.errors import AnnotationError
from samic_core.fileio import (
    FileHasher,
    atomic_write_bytes,
    atomic_write_json,
    list_images,
)
from samic_core.filelock import file_lock

log = logging.getLogger(__name__)

ANNOTATIONS_DIRNAME = "annotations"
STALE_TMP_SECONDS = 600  # a temporary file this old in annotations/ is left from a killed run

__all__ = ["ANNOTATIONS_DIRNAME", "CLASSES_FILENAME", "AnnotationStore", "LoadedAnnotation"]


@dataclass
class LoadedAnnotation:
    """An image's annotation with its masks: instances (H, W) uint16, semantic (H, W) uint8."""

    annotation: ImageAnnotation
    instances: np.ndarray
    semantic: np.ndarray


def parse_annotation(path: Path, raw: str) -> ImageAnnotation:
    """Validate the text of an annotation JSON; AnnotationError names `path` and the problem."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as e:
        raise AnnotationError(path, f"malformed JSON: {e}") from None
    except RecursionError:
        raise AnnotationError(path, "malformed JSON: nested too deeply") from None
    try:
        return ImageAnnotation.model_validate(data)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'file'}: {err['msg']}"
            for err in e.errors()[:5]
        )
        raise AnnotationError(path, f"invalid annotation: {problems}") from None
    except RecursionError:
        raise AnnotationError(path, "invalid annotation: nested too deeply") from None


class AnnotationStore:
    """The annotations of one image folder `F`, stored in `F/annotations/` (or `out_dir`)."""

    def __init__(self, image_folder: str | Path, out_dir: str | Path | None = None) -> None:
        self.image_folder = Path(image_folder)
        self.dir = Path(out_dir) if out_dir is not None else self.image_folder / ANNOTATIONS_DIRNAME
        self._hasher = FileHasher()
        self._cleaned = False

    # ---- paths -------------------------------------------------------------------------------
    @property
    def classes_path(self) -> Path:
        return self.dir / CLASSES_FILENAME

    @property
    def renames_path(self) -> Path:
        return self.dir / CLASS_RENAMES_FILENAME

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the folder's write lock (every writer of annotations/ takes it; re-entrant)."""
        with file_lock(self.dir / layout.LOCK_FILENAME):
            yield

    def _legacy_json(self, image_name: str, strict: bool = False) -> Path | None:
        """The layout-1 JSON of `image_name` if there is one that is (or may be) its own.

        A damaged one may be this image's: it is returned for loading (which reports it), but
        not when `strict` (a save or delete removes only a file that names this image).
        """
        path = self.dir / layout.legacy_names(image_name)[0]
        if path.name in layout.RESERVED_NAMES or not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError, RecursionError):
            return None if strict else path
        image = data.get("image") if isinstance(data, dict) else None
        if image == Path(image_name).name or (image is None and not strict):
            return path
        return None  # another image with the same stem (a.jpg vs a.png)

    def json_path(self, image_name: str) -> Path:
        """The annotation JSON of an image: its own file, or its layout-1 file until re-saved."""
        path = self.dir / layout.json_name(Path(image_name).name)
        if path.is_file():
            return path
        return self._legacy_json(image_name) or path

    def _mask_path(self, image_name: str, kind: str) -> Path:
        ann = self.load_json(image_name)
        if ann.masks is not None:
            return self.dir / getattr(ann.masks, kind)
        legacy = layout.legacy_names(image_name)
        return self.dir / (legacy[1] if kind == "semantic" else legacy[2])

    def semantic_path(self, image_name: str) -> Path:
        """The semantic mask PNG the saved annotation of `image_name` names."""
        return self._mask_path(image_name, "semantic")

    def instances_path(self, image_name: str) -> Path:
        """The instance mask PNG the saved annotation of `image_name` names."""
        return self._mask_path(image_name, "instances")

    def images(self) -> list[Path]:
        return list_images(self.image_folder)

    def exists(self, image_name: str) -> bool:
        return self.json_path(image_name).is_file()

    def annotation_files(self) -> list[Path]:
        """Every per-image JSON (layout-1 files only where no layout-2 file replaced them)."""
        if not self.dir.is_dir():
            return []
        files = [p for p in self.dir.iterdir() if layout.is_annotation_json(p.name) and p.is_file()]
        own = {layout.image_of_json(p.name) for p in files} - {None}
        out = []
        for p in files:
            if layout.image_of_json(p.name) is None:  # layout 1: skip if re-saved since
                try:
                    image = self.load_json_file(p).image
                except AnnotationError:
                    image = None
                if image in own:
                    continue
            out.append(p)
        return sorted(out, key=lambda p: p.name.lower())

    def image_sha256(self, image_path: str | Path) -> str:
        return self._hasher(image_path)

    # ---- classes -----------------------------------------------------------------------------
    def load_classes(self) -> list[str]:
        """The ordered class names of classes.json; [] when it does not exist yet."""
        return read_classes(self.classes_path)

    def classes_for(self, labels: list[str]) -> list[str]:
        """classes.json plus any of `labels` it lacks (appended): what indexes a semantic mask."""
        return merged(self.load_classes(), labels)

    def save_classes(self, classes: list[str]) -> None:
        """Replace the class list (for setting up a folder; editors use add/rename/remove)."""
        check_classes(list(classes))
        with self.lock():
            write_classes(self.classes_path, list(classes))

    def ensure_classes(self, labels: list[str]) -> list[str]:
        """Merge labels not yet in classes.json into it (order kept) and return the full list."""
        with self.lock():
            classes = self.load_classes()
            full = merged(classes, labels)
            if len(full) != len(classes):
                write_classes(self.classes_path, full)
                log.info("added classes %s to %s", full[len(classes) :], self.classes_path)
            return full

    def add_classes(self, labels: list[str]) -> list[str]:
        """Add classes by the user's choice: like ensure_classes, and a name that was renamed
        away earlier becomes a class of its own again (no longer mapped to its new name)."""
        with self.lock():
            renames = read_renames(self.renames_path)
            if any(lab in renames for lab in labels):
                write_renames(
                    self.renames_path, {k: v for k, v in renames.items() if k not in labels}
                )
            return self.ensure_classes(labels)

    def current_labels(self, labels: list[str]) -> dict[str, str]:
        """{label: what it is called now}: a label renamed since (and not a class again) maps
        to its new name (class_renames.json), every other label to itself."""
        with self.lock():
            renames = read_renames(self.renames_path)
            if not renames:
                return {lab: lab for lab in labels}
            classes = self.load_classes()
            return {lab: current_name(lab, classes, renames) for lab in labels}

    def rename_class(self, old: str, new: str) -> list[str]:
        """Rename a class in classes.json and in every annotation that uses it; the new list."""
        return class_edits.rename_class(self, old, new)

    def class_users(self, label: str) -> list[str]:
        """Images whose saved annotation has an object of class `label`."""
        return class_edits.class_users(self, label)

    def remove_class(self, label: str) -> list[str]:
        """Remove an unused class, rewrite the semantic masks whose values shift; the new list."""
        return class_edits.remove_class(self, label)

    # ---- annotations -------------------------------------------------------------------------
    def load_json_file(self, path: Path) -> ImageAnnotation:
        """Parse and validate one annotation JSON file (no mask or image checks)."""
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise AnnotationError(path, "annotation file does not exist") from None
        except (OSError, UnicodeDecodeError) as e:
            raise AnnotationError(path, f"cannot read ({e})") from None
        return parse_annotation(path, raw)

    def load_json(self, image_name: str) -> ImageAnnotation:
        """Parse and validate an image's annotation JSON alone (no mask or image checks)."""
        return self.load_json_file(self.json_path(image_name))

    def load(self, image_name: str, verify_image: bool = True) -> LoadedAnnotation:
        """Load and cross-check an image's JSON and masks; AnnotationError names the bad file."""
        jpath = self.json_path(image_name)
        ann = self.load_json_file(jpath)
        if ann.image != Path(image_name).name:
            raise AnnotationError(jpath, f"is for image {ann.image!r}, not {image_name!r}")
        if verify_image:
            image_path = self.image_folder / ann.image
            if not image_path.is_file():
                raise AnnotationError(jpath, f"its image {image_path} does not exist")
            actual = self.image_sha256(image_path)
            if actual != ann.image_sha256:
                raise AnnotationError(
                    jpath,
                    f"image hash mismatch: {image_path.name} changed since it was annotated "
                    f"(saved {ann.image_sha256[:12]}..., now {actual[:12]}...)",
                )
        if ann.masks is not None:
            if not layout.is_safe_file_name(ann.masks.instances):
                raise AnnotationError(jpath, f"masks.instances {ann.masks.instances!r} is no file")
            ipath: Path | None = self.dir / ann.masks.instances
        elif ann.schema_version == 1:
            ipath = self.dir / layout.legacy_names(image_name)[2]
        else:
            ipath = None
        instances = self._read_mask(ipath, jpath, ann)
        ids = set(np.unique(instances).tolist()) - {0}
        stray = ids - {o.id for o in ann.objects}
        if stray:
            raise AnnotationError(
                ipath or jpath, f"has instance ids {sorted(stray)} not in {jpath}"
            )
        classes = self.classes_for([o.label for o in ann.objects])
        semantic = semantic_from_instances(instances, ann.objects, classes)
        return LoadedAnnotation(ann, instances, semantic)

    def _read_mask(self, path: Path | None, jpath: Path, ann: ImageAnnotation) -> np.ndarray:
        if path is None or not path.is_file():
            if ann.objects:
                raise AnnotationError(path or jpath, "mask file is missing")
            return np.zeros((ann.height, ann.width), np.uint16)
        mask = cv2.imdecode(np.fromfile(str(path), np.uint8), cv2.IMREAD_UNCHANGED)
        if mask is None:
            raise AnnotationError(path, "not a readable PNG")
        if mask.ndim != 2:
            raise AnnotationError(path, f"must be a single-channel mask, got shape {mask.shape}")
        if mask.shape != (ann.height, ann.width):
            raise AnnotationError(
                path,
                f"mask size {mask.shape[1]}x{mask.shape[0]} does not match the image size "
                f"{ann.width}x{ann.height} in the JSON",
            )
        return mask.astype(np.uint16, copy=False)

    def save(self, ann: ImageAnnotation, instances: np.ndarray) -> LoadedAnnotation:
        """Save an annotation and its masks as one unit; returns what was saved.

        Under the folder lock: merge the labels into classes.json, write both masks under new
        content-hashed names, then rename the JSON that names them into place (the commit), and
        only then remove the masks it replaced, layout-1 files of this image and leftovers of
        killed saves. A kill before the commit leaves the old annotation, after it the new one.
        """
        name = ann.image
        if not layout.is_safe_file_name(name) or not layout.has_image_extension(name):
            raise ValueError(f"{name!r}: not an image file name")
        instances = np.asarray(instances)
        if instances.shape != (ann.height, ann.width):
            raise ValueError(
                f"instance mask shape {instances.shape} != image size {(ann.height, ann.width)}"
            )
        instances = instances.astype(np.uint16, copy=False)
        with self.lock():
            self._clean_stale_tmp()
            current = self.current_labels([o.label for o in ann.objects])
            if any(lab != new for lab, new in current.items()):
                objects = [o.model_copy(update={"label": current[o.label]}) for o in ann.objects]
                ann = ann.model_copy(update={"objects": objects})
            classes = self.ensure_classes([o.label for o in ann.objects])
            semantic = semantic_from_instances(instances, ann.objects, classes)
            names = {}
            for kind, mask in (("instances", instances), ("semantic", semantic)):
                ok, buf = cv2.imencode(".png", mask)
                if not ok:
                    raise OSError(f"{self.dir}: could not encode the {kind} PNG of {name}")
                data = buf.tobytes()
                names[kind] = layout.mask_name(name, kind, data)
                atomic_write_bytes(self.dir / names[kind], data)
            saved = ann.model_copy(
                update={
                    "schema_version": SCHEMA_VERSION,
                    "masks": MaskFiles(**names, classes=list(classes)),
                }
            )
            legacy = self._legacy_json(name, strict=True)
            atomic_write_json(self.dir / layout.json_name(name), saved.model_dump(mode="json"))
            self._remove_leftovers(name, keep=set(names.values()), legacy=legacy)
        return LoadedAnnotation(saved, instances, semantic)

    def save_keeping(
        self, ann: ImageAnnotation, instances: np.ndarray, base: frozenset[ObjectKey]
    ) -> tuple[LoadedAnnotation, list[AnnotatedObject]]:
        """An editor's save: like `save`, but objects another writer added since the editor
        loaded `base` are kept (annotation/merge.py); returns what was saved and those."""
        return merge.save_keeping(self, ann, instances, base)

    def _remove_leftovers(self, name: str, keep: set[str], legacy: Path | None) -> None:
        """After a commit: drop this image's unreferenced masks and its layout-1 files."""
        for entry in os.scandir(self.dir):
            if layout.mask_owner(entry.name) == name and entry.name not in keep:
                Path(entry.path).unlink(missing_ok=True)
        if legacy is not None and layout.image_of_json(legacy.name) is None:
            for extra in layout.legacy_names(name)[1:]:  # masks first: the JSON finds them
                if layout.mask_owner(extra) is None:
                    (self.dir / extra).unlink(missing_ok=True)
            legacy.unlink(missing_ok=True)

    def _clean_stale_tmp(self) -> None:
        """Once per store: remove temporary files of killed writes (ours, and old)."""
        if self._cleaned or not self.dir.is_dir():
            return
        self._cleaned = True
        now = time.time()
        for entry in os.scandir(self.dir):
            if entry.name.startswith(".") and entry.name.endswith(".tmp") and entry.is_file():
                try:
                    if now - entry.stat().st_mtime > STALE_TMP_SECONDS:
                        Path(entry.path).unlink(missing_ok=True)
                except OSError:
                    continue

    def delete(self, image_name: str) -> None:
        """Remove an image's annotation: the JSON first (the commit), then its masks."""
        name = Path(image_name).name
        with self.lock():
            legacy = self._legacy_json(name, strict=True)
            (self.dir / layout.json_name(name)).unlink(missing_ok=True)
            if self.dir.is_dir():
                self._remove_leftovers(name, keep=set(), legacy=legacy)
