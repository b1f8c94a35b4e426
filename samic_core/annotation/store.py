"""Read and write annotations: classes.json, <stem>.json, <stem>.png, <stem>_instances.png.

Every write is atomic; every read validates and raises AnnotationError naming the bad file.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from pydantic import ValidationError

from samic_core.annotation.masks import semantic_from_instances
from samic_core.annotation.models import ImageAnnotation
from samic_core.errors import AnnotationError
from samic_core.fileio import (
    FileHasher,
    atomic_path,
    atomic_write_json,
    list_images,
)

log = logging.getLogger(__name__)

ANNOTATIONS_DIRNAME = "annotations"
CLASSES_FILENAME = "classes.json"


@dataclass
class LoadedAnnotation:
    """An image's annotation with its masks: instances (H, W) uint16, semantic (H, W) uint8."""

    annotation: ImageAnnotation
    instances: np.ndarray
    semantic: np.ndarray


class AnnotationStore:
    """The annotations of one image folder `F`, stored in `F/annotations/` (or `out_dir`)."""

    def __init__(self, image_folder: str | Path, out_dir: str | Path | None = None) -> None:
        self.image_folder = Path(image_folder)
        self.dir = Path(out_dir) if out_dir is not None else self.image_folder / ANNOTATIONS_DIRNAME
        self._hasher = FileHasher()

    # ---- paths -------------------------------------------------------------------------------
    @property
    def classes_path(self) -> Path:
        return self.dir / CLASSES_FILENAME

    def json_path(self, image_name: str) -> Path:
        return self.dir / f"{Path(image_name).stem}.json"

    def semantic_path(self, image_name: str) -> Path:
        return self.dir / f"{Path(image_name).stem}.png"

    def instances_path(self, image_name: str) -> Path:
        return self.dir / f"{Path(image_name).stem}_instances.png"

    def images(self) -> list[Path]:
        return list_images(self.image_folder)

    def exists(self, image_name: str) -> bool:
        return self.json_path(image_name).is_file()

    def image_sha256(self, image_path: str | Path) -> str:
        return self._hasher(image_path)

    # ---- classes -----------------------------------------------------------------------------
    def load_classes(self) -> list[str]:
        """The ordered class names; [] when classes.json does not exist yet."""
        path = self.classes_path
        if not path.is_file():
            return []
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise AnnotationError(path, f"malformed JSON ({e})") from e
        if not isinstance(data, list) or not all(isinstance(c, str) and c for c in data):
            raise AnnotationError(path, "must be a JSON list of non-empty class names")
        if len(set(data)) != len(data):
            raise AnnotationError(path, f"class names must be unique, got {data}")
        return data

    def save_classes(self, classes: list[str]) -> None:
        if len(set(classes)) != len(classes) or not all(classes):
            raise ValueError(f"class names must be unique and non-empty, got {classes}")
        if len(classes) > 255:
            raise ValueError("at most 255 classes fit in the uint8 semantic mask")
        atomic_write_json(self.classes_path, list(classes))

    def ensure_classes(self, labels: list[str]) -> list[str]:
        """Append labels not yet in classes.json (order kept) and return the full list."""
        classes = self.load_classes()
        missing = [lab for lab in dict.fromkeys(labels) if lab not in classes]
        if missing:
            classes = classes + missing
            self.save_classes(classes)
            log.info("added classes %s to %s", missing, self.classes_path)
        return classes

    # ---- annotations -------------------------------------------------------------------------
    def load_json(self, image_name: str) -> ImageAnnotation:
        """Parse and validate `<stem>.json` alone (no mask or image checks)."""
        path = self.json_path(image_name)
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise AnnotationError(path, "annotation file does not exist") from None
        except (OSError, UnicodeDecodeError) as e:
            raise AnnotationError(path, f"cannot read ({e})") from e
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as e:
            raise AnnotationError(path, f"malformed JSON: {e}") from e
        try:
            return ImageAnnotation.model_validate(data)
        except ValidationError as e:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'file'}: {err['msg']}"
                for err in e.errors()
            )
            raise AnnotationError(path, f"invalid annotation: {problems}") from e

    def load(self, image_name: str, verify_image: bool = True) -> LoadedAnnotation:
        """Load and cross-check an image's JSON and masks; AnnotationError names the bad file."""
        ann = self.load_json(image_name)
        jpath = self.json_path(image_name)
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
        instances = self._read_mask(self.instances_path(image_name), np.uint16, ann)
        classes = self.load_classes()
        unknown = sorted({o.label for o in ann.objects} - set(classes))
        if unknown:
            raise AnnotationError(jpath, f"labels {unknown} are not in {self.classes_path}")
        ids = set(np.unique(instances).tolist()) - {0}
        stray = ids - {o.id for o in ann.objects}
        if stray:
            raise AnnotationError(
                self.instances_path(image_name), f"has instance ids {sorted(stray)} not in {jpath}"
            )
        semantic = semantic_from_instances(instances, ann.objects, classes)
        return LoadedAnnotation(ann, instances, semantic)

    def _read_mask(self, path: Path, dtype: type, ann: ImageAnnotation) -> np.ndarray:
        if not path.is_file():
            if ann.objects:
                raise AnnotationError(path, "mask file is missing")
            return np.zeros((ann.height, ann.width), dtype)
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
        return mask.astype(dtype, copy=False)

    def save(self, ann: ImageAnnotation, instances: np.ndarray) -> LoadedAnnotation:
        """Write the JSON, the semantic PNG and the instance PNG, each atomically.

        The masks are renamed into place first and the JSON last, so a reader never sees a JSON
        that points at masks that are not there yet.
        """
        instances = np.asarray(instances)
        if instances.shape != (ann.height, ann.width):
            raise ValueError(
                f"instance mask shape {instances.shape} != image size {(ann.height, ann.width)}"
            )
        instances = instances.astype(np.uint16, copy=False)
        classes = self.ensure_classes([o.label for o in ann.objects])
        semantic = semantic_from_instances(instances, ann.objects, classes)
        self.dir.mkdir(parents=True, exist_ok=True)
        encoded = []
        for path, mask in (
            (self.instances_path(ann.image), instances),
            (self.semantic_path(ann.image), semantic),
        ):
            ok, buf = cv2.imencode(".png", mask)
            if not ok:
                raise OSError(f"{path}: could not encode PNG")
            encoded.append((path, buf.tobytes()))
        for path, data in encoded:
            with atomic_path(path) as tmp:
                tmp.write_bytes(data)
        atomic_write_json(self.json_path(ann.image), ann.model_dump(mode="json"))
        return LoadedAnnotation(ann, instances, semantic)

    def delete(self, image_name: str) -> None:
        """Remove an image's JSON and masks (used when a prediction is rejected)."""
        for p in (
            self.json_path(image_name),
            self.semantic_path(image_name),
            self.instances_path(image_name),
        ):
            p.unlink(missing_ok=True)
