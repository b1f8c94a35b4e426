"""The open folder: images and their status, loading and saving annotations, classes."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from sambox.model.convert import from_loaded, to_annotation
from sambox.model.document import Document
from sambox.model.status import ImageStatus, status_from
from samic_core.annotation import AnnotationStore
from samic_core.errors import AnnotationError, SamicError
from samic_core.fileio import atomic_write_json, read_image_rgb

log = logging.getLogger(__name__)

DEFAULT_CLASS = "object"


class ProjectController(QObject):
    folder_opened = Signal(object)  # Path
    status_changed = Signal(str, object)  # image name, ImageStatus
    classes_changed = Signal(list)
    error = Signal(str)  # a message that names the file

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.folder: Path | None = None
        self.store: AnnotationStore | None = None
        self.images: list[Path] = []
        self.statuses: dict[str, ImageStatus] = {}
        self.classes: list[str] = [DEFAULT_CLASS]

    # ---- folder ------------------------------------------------------------------------------
    def open_folder(self, folder: Path) -> bool:
        folder = Path(folder)
        store = AnnotationStore(folder)
        try:
            images = store.images()
        except OSError as e:
            self.error.emit(f"{folder}: cannot open this folder ({e})")
            return False
        self.folder, self.store, self.images = folder, store, images
        self.statuses = {p.name: self.read_status(p.name) for p in images}
        try:
            self.classes = store.load_classes() or [DEFAULT_CLASS]
        except AnnotationError as e:
            self.classes = [DEFAULT_CLASS]
            self.error.emit(f"{e}\nThe file was left as it is; fix it to use its classes.")
        self.folder_opened.emit(folder)
        self.classes_changed.emit(list(self.classes))
        return True

    def read_status(self, name: str) -> ImageStatus:
        assert self.store is not None
        if not self.store.exists(name):
            return ImageStatus.NOT_STARTED
        try:
            ann = self.store.load_json(name)
        except AnnotationError:
            return ImageStatus.ERROR
        return status_from(ann.done, ann.is_predicted_unreviewed)

    def path_of(self, name: str) -> Path:
        assert self.folder is not None
        return self.folder / name

    # ---- documents ---------------------------------------------------------------------------
    def load(self, name: str) -> tuple[Document, np.ndarray]:
        """The image (H, W, 3) RGB and its annotation; raises ImageReadError for a bad image.

        A damaged annotation file is reported and the document is locked, so it is never
        overwritten; the image can still be viewed.
        """
        assert self.store is not None
        path = self.path_of(name)
        rgb = read_image_rgb(path)
        h, w = rgb.shape[:2]
        sha = self.store.image_sha256(path)
        if self.store.exists(name):
            try:
                doc = from_loaded(path, self.store.load(name))
            except AnnotationError as e:
                doc = Document(path, sha, w, h, locked=str(e))
                self._set_status(name, ImageStatus.ERROR)
                self.error.emit(
                    f"{e}\n\nThe annotation of {name} could not be read. It was left untouched "
                    "and this image is read-only until the file is fixed or removed."
                )
                return doc, rgb
            if (doc.height, doc.width) != (h, w):
                doc = Document(path, sha, w, h, locked="size mismatch")
                self.error.emit(f"{self.store.json_path(name)}: image size changed; read-only.")
            return doc, rgb
        return Document(path, sha, w, h), rgb

    def save(self, doc: Document, model_id: str | None) -> bool:
        """Write the JSON and PNG masks atomically; False (and an error) when it cannot."""
        assert self.store is not None
        if doc.locked:
            return False
        if self.folder is None or doc.image_path.parent.resolve() != self.folder.resolve():
            # e.g. a mask that landed after the user opened another folder: never write one
            # folder's annotation into another folder's annotations/
            self.error.emit(
                f"Not saved: {doc.image_path} is not in the open folder {self.folder}. "
                "Reopen its folder to annotate it."
            )
            return False
        if model_id:
            doc.sam_model = model_id
        ann, instances = to_annotation(doc)
        try:
            self.store.save(ann, instances)
        except (SamicError, OSError, ValueError) as e:
            self.error.emit(f"Could not save the annotation of {doc.name}: {e}")
            return False
        doc.dirty = False
        self._set_status(doc.name, status_from(ann.done, ann.is_predicted_unreviewed))
        known = set(self.classes)
        if any(o.label not in known for o in ann.objects):
            self.classes = self.store.load_classes()
            self.classes_changed.emit(list(self.classes))
        return True

    def _set_status(self, name: str, status: ImageStatus) -> None:
        self.statuses[name] = status
        self.status_changed.emit(name, status)

    # ---- classes -----------------------------------------------------------------------------
    def _write_classes(self, classes: list[str]) -> bool:
        assert self.store is not None
        try:
            self.store.save_classes(classes)
        except (ValueError, OSError) as e:
            self.error.emit(f"{self.store.classes_path}: cannot save classes ({e})")
            return False
        self.classes = list(classes)
        self.classes_changed.emit(list(self.classes))
        return True

    def add_class(self, name: str) -> bool:
        name = name.strip()
        if not name or name in self.classes or self.store is None:
            return False
        return self._write_classes([*self.classes, name])

    def rename_class(self, old: str, new: str) -> bool:
        """Rename everywhere: classes.json and every saved annotation that uses it."""
        new = new.strip()
        if self.store is None or old not in self.classes or not new or new in self.classes:
            return False
        for path in self.images:
            if not self.store.exists(path.name):
                continue
            try:
                ann = self.store.load_json(path.name)
            except AnnotationError:
                continue  # a damaged file is never rewritten
            if any(o.label == old for o in ann.objects):
                for o in ann.objects:
                    if o.label == old:
                        o.label = new
                atomic_write_json(self.store.json_path(path.name), ann.model_dump(mode="json"))
        return self._write_classes([new if c == old else c for c in self.classes])

    def class_in_use(self, label: str, open_doc: Document | None = None) -> list[str]:
        """Images whose saved (or open) annotation uses `label`."""
        used = []
        if open_doc is not None and any(o.label == label for o in open_doc.objects):
            used.append(open_doc.name)
        for path in self.images if self.store else []:
            if path.name in used or not self.store.exists(path.name):
                continue
            try:
                if any(o.label == label for o in self.store.load_json(path.name).objects):
                    used.append(path.name)
            except AnnotationError:
                continue
        return used

    def remove_class(self, label: str, open_doc: Document | None = None) -> bool:
        """Remove an unused class and rewrite the semantic masks whose indices shift."""
        if self.store is None or label not in self.classes:
            return False
        used = self.class_in_use(label, open_doc)
        if used:
            self.error.emit(
                f"The class {label!r} is still used in {', '.join(used[:5])}"
                f"{' and more' if len(used) > 5 else ''}; change those objects first."
            )
            return False
        remaining = [c for c in self.classes if c != label] or [DEFAULT_CLASS]
        if not self._write_classes(remaining):
            return False
        for path in self.images:  # semantic PNGs store class indices, which moved
            if self.store.exists(path.name):
                try:
                    loaded = self.store.load(path.name, verify_image=False)
                    self.store.save(loaded.annotation, loaded.instances)
                except (AnnotationError, OSError) as e:
                    log.warning("semantic mask of %s not rewritten: %s", path.name, e)
        return True
