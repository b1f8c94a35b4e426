"""The open folder: images and their status, loading and saving annotations, classes."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from sambox.model.convert import from_loaded, object_state, to_annotation
from sambox.model.document import Document
from sambox.model.placed import is_big
from sambox.model.status import ImageStatus, status_from
from samic_core.annotation import AnnotatedObject, AnnotationStore
from samic_core.annotation.layout import is_clip_folder
from samic_core.annotation.masks import label_boxes
from samic_core.annotation.merge import base_of
from samic_core.annotation.models import MAX_PIXELS
from samic_core.errors import AnnotationError, ImageReadError, SamicError
from samic_core.fileio import image_size
from samic_core.paths import rasters_dir
from samic_core.raster import Raster, open_raster

DEFAULT_CLASS = "object"


# Images over RASTER_PIXELS are memory-mapped from a decoded copy on disk (3 bytes a pixel)
# and drawn by regions, so the app's memory stays bounded; the limit is what an annotation's
# masks hold (MAX_PIXELS).
BYTES_PER_PIXEL = 3


def check_openable(path: Path) -> None:
    """ImageReadError naming the file when its header says it is over MAX_PIXELS: its masks
    could not be saved, and the app would need gigabytes before saying so. Read from the header
    alone, before anything is decoded."""
    hw = image_size(path)
    if hw is None or hw[0] * hw[1] <= MAX_PIXELS:
        return
    h, w = hw
    raise ImageReadError(
        path,
        f"{w} x {h} pixels ({h * w / 1e6:.0f} MP) is more than SAMBOX can annotate: "
        f"{MAX_PIXELS / 1e6:.0f} MP (the most an annotation's masks hold; its decoded copy "
        f"would take {h * w * BYTES_PER_PIXEL / 1e9:.1f} GB of disk). Cut it into parts "
        "of at most that size and annotate those",
    )


class ProjectController(QObject):
    folder_opened = Signal(object)  # Path
    status_changed = Signal(str, object)  # image name, ImageStatus
    classes_changed = Signal(list)
    error = Signal(str)  # a message that names the file
    message = Signal(str)  # a short status-bar note
    document_grew = Signal()  # a save kept objects another writer added: redraw

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.folder: Path | None = None
        self.store: AnnotationStore | None = None
        self.images: list[Path] = []
        self.statuses: dict[str, ImageStatus] = {}
        self.classes: list[str] = [DEFAULT_CLASS]
        self.is_clip = False  # a folder of frames (samic_core.annotation.layout.is_clip_folder)
        self.track_id_max = 0  # in a clip: the highest object id on any frame

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
        self.is_clip = is_clip_folder(folder, images)
        self.track_id_max = self._track_id_max(store, images) if self.is_clip else 0
        try:
            self.classes = store.load_classes() or [DEFAULT_CLASS]
        except AnnotationError as e:
            self.classes = [DEFAULT_CLASS]
            self.error.emit(f"{e}\nThe file was left as it is; fix it to use its classes.")
        self.folder_opened.emit(folder)
        self.classes_changed.emit(list(self.classes))
        return True

    @staticmethod
    def _track_id_max(store: AnnotationStore, images: list[Path]) -> int:
        """The highest object id on any frame of a clip (its track ids): new objects go above."""
        top = 0
        for p in images:
            if store.exists(p.name):
                try:
                    top = max([top, *(o.id for o in store.load_json(p.name).objects)])
                except AnnotationError:
                    continue  # reported when that frame is opened
        return top

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
    def load(self, name: str) -> tuple[Document, Raster]:
        """The image's pixels and its annotation; raises ImageReadError for a bad image. A big
        image is decoded once to disk and memory-mapped (samic_core/raster.py).

        A damaged annotation file is reported and the document is locked, so it is never
        overwritten; the image can still be viewed.
        """
        assert self.store is not None
        path = self.path_of(name)
        check_openable(path)
        sha = self.store.image_sha256(path)
        rgb = open_raster(path, sha, rasters_dir())
        h, w = rgb.shape
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
            doc.id_floor = self.track_id_max
            return doc, rgb
        return Document(path, sha, w, h, base=frozenset(), id_floor=self.track_id_max), rgb

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
            if doc.base is None:
                self.store.save(ann, instances)
                kept: list[AnnotatedObject] = []
            else:  # keep what another writer (samic predict, auto-annotate) added meanwhile
                saved, kept = self.store.save_keeping(ann, instances, doc.base)
                doc.base = base_of(saved.annotation)
                ann = saved.annotation
        except (SamicError, OSError, ValueError) as e:
            self.error.emit(f"Could not save the annotation of {doc.name}: {e}")
            return False
        if kept:
            shape = (doc.height, doc.width)
            boxes = label_boxes(saved.instances) if is_big(shape) else None  # one pass for all
            doc.state = doc.with_added([object_state(o, saved.instances, boxes) for o in kept])
            self.document_grew.emit()
            self.message.emit(
                f"{doc.name}: kept {len(kept)} object(s) another writer (a prediction run?) "
                "saved while the image was open; they are shown now."
            )
        doc.dirty = False
        if self.is_clip:  # the ids this frame now holds are taken on the other frames too
            self.track_id_max = max([self.track_id_max, *(o.id for o in ann.objects)])
        self._set_status(doc.name, status_from(ann.done, ann.is_predicted_unreviewed))
        known = set(self.classes)
        if any(o.label not in known for o in ann.objects):
            try:
                self._show_classes(self.store.load_classes())
            except AnnotationError as e:
                self.error.emit(str(e))
        return True

    def _set_status(self, name: str, status: ImageStatus) -> None:
        self.statuses[name] = status
        self.status_changed.emit(name, status)

    # ---- classes -----------------------------------------------------------------------------
    # classes.json is shared with other writers (samic import / predict, another window): every
    # change is one merge done by the store under its lock, never a write-back of self.classes.
    def _show_classes(self, classes: list[str]) -> None:
        self.classes = list(classes) or [DEFAULT_CLASS]
        self.classes_changed.emit(list(self.classes))

    def _class_error(self, e: Exception) -> bool:
        assert self.store is not None
        self.error.emit(f"{self.store.classes_path}: cannot change the classes ({e})")
        return False

    def add_class(self, name: str) -> bool:
        name = name.strip()
        if not name or name in self.classes or self.store is None:
            return False
        shown = [DEFAULT_CLASS] if self.classes == [DEFAULT_CLASS] else []  # the placeholder
        try:
            self._show_classes(self.store.add_classes([*shown, name]))
        except (SamicError, ValueError, OSError) as e:
            return self._class_error(e)
        return True

    def rename_class(self, old: str, new: str) -> bool:
        """Rename everywhere: classes.json and every saved annotation that uses it."""
        new = new.strip()
        if self.store is None or old not in self.classes or not new or new in self.classes:
            return False
        try:
            if old in self.store.load_classes():
                self._show_classes(self.store.rename_class(old, new))
            else:  # only shown here (the placeholder, or removed meanwhile): nothing saved uses it
                self._show_classes([c for c in self.store.add_classes([new]) if c != old])
        except (SamicError, ValueError, OSError) as e:
            return self._class_error(e)
        return True

    def class_in_use(self, label: str, open_doc: Document | None = None) -> list[str]:
        """Images whose saved (or open) annotation uses `label`."""
        used = []
        if open_doc is not None and any(o.label == label for o in open_doc.objects):
            used.append(open_doc.name)
        if self.store is not None:
            used += [n for n in self.store.class_users(label) if n not in used]
        return used

    def remove_class(self, label: str, open_doc: Document | None = None) -> bool:
        """Remove an unused class (the store rewrites the semantic masks whose values shift)."""
        if self.store is None or label not in self.classes:
            return False
        used = self.class_in_use(label, open_doc)
        if used:
            self.error.emit(
                f"The class {label!r} is still used in {', '.join(used[:5])}"
                f"{' and more' if len(used) > 5 else ''}; change those objects first."
            )
            return False
        try:
            remaining = self.store.remove_class(label)
            if not remaining:
                remaining = self.store.add_classes([DEFAULT_CLASS])
        except (SamicError, ValueError, OSError) as e:
            return self._class_error(e)
        self._show_classes(remaining)
        return True
