"""Moving through a folder: open images, autosave on switch and close, the engine lifecycle."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, Signal

from sambox.controllers.editor import EditorController
from sambox.controllers.project import ProjectController
from sambox.controllers.protocols import BackgroundService, SamServiceLike
from sambox.model.decoding import EngineConfig
from sambox.model.document import Document
from sambox.model.status import ImageStatus
from sambox.settings import AppSettings
from samic_core.errors import SamicError
from samic_core.sam.weights import find_checkpoint

# Answer of the "save changes?" question when autosave is off.
SAVE, DISCARD, CANCEL = "save", "discard", "cancel"


class Session(QObject):
    image_opened = Signal(object, object)  # Document | None, Raster (its pixels) | None
    engine_state = Signal(str, str)  # "missing" | "loading" | "ready" | "failed", plain words
    error = Signal(str)
    message = Signal(str)

    def __init__(
        self,
        settings: AppSettings,
        service: SamServiceLike,
        project: ProjectController,
        editor: EditorController,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.service = service
        self.project = project
        self.editor = editor
        self.current: str | None = None
        self.ask_save: Callable[[str], str] = lambda name: SAVE
        # asked on close while services work (their busy texts): True = stop them and close
        self.ask_stop: Callable[[list[str]], bool] = lambda busy: True
        self.services: list[BackgroundService] = [service]  # every one is stopped on close
        service.engine_ready.connect(self._engine_ready)
        service.engine_failed.connect(lambda msg: self.engine_state.emit("failed", msg))
        service.embedding_failed.connect(lambda path, msg: self.error.emit(msg))
        editor.settled.connect(self._settled)
        editor.changed.connect(self._started)

    # ---- engine ------------------------------------------------------------------------------
    def checkpoint(self) -> Path | None:
        """The configured checkpoint, else a downloaded official one, else None."""
        ckpt = self.settings.checkpoint
        if ckpt is not None:
            return ckpt
        return find_checkpoint(self.settings.model_type)  # auto: vit_b, else any downloaded

    def start_engine(self) -> None:
        """Load SAM in the background; bad settings or environment values are reported."""
        for problem in self.settings.problems():  # an unusable stored value: default used
            self.error.emit(problem)
        try:
            ckpt = self.checkpoint()
        except SamicError as e:  # e.g. SAMIC_HOME names no usable folder
            self.engine_state.emit("failed", str(e))
            return
        if ckpt is None:
            self.engine_state.emit(
                "missing",
                "No SAM model is set up yet, so images can be browsed but not annotated. "
                "Download the official SAM checkpoint, or choose a checkpoint file you have.",
            )
            return
        if not ckpt.is_file():
            self.engine_state.emit(
                "missing", f"The SAM checkpoint {ckpt} does not exist. Choose another file."
            )
            return
        s = self.settings
        self.engine_state.emit("loading", f"Loading SAM from {ckpt.name}…")
        self.service.load_engine(
            EngineConfig(ckpt, s.model_type, s.device, s.cache_dir, s.cache_dtype, s.cache_max_gb)
        )

    def _engine_ready(self, model_id: str) -> None:
        self.engine_state.emit("ready", f"SAM {model_id} on {self.service.device}")
        self._start_embedding()
        self.editor.resync()

    def _start_embedding(self) -> None:
        if not self.service.ready or self.project.folder is None:
            return
        first = self.project.path_of(self.current) if self.current else None
        if first is not None:
            self.service.request_embedding(first)
        self.service.embed_folder(self.project.images, first=first)

    # ---- folder and images ---------------------------------------------------------------
    def open_folder(self, folder: Path) -> bool:
        self.wait_pending()  # masks in flight belong to this folder's annotations
        if not self.flush():
            return False
        self.editor.set_document(None)
        self.current = None
        if not self.project.open_folder(folder):
            return False
        self.settings.last_folder = Path(folder)
        self._start_embedding()
        if self.project.images:
            names = [p.name for p in self.project.images]
            last = self.settings.last_image(folder)  # where the annotator left off
            if not (last in names and self.open_image(last)):
                self.open_image(names[0])
        else:
            self.image_opened.emit(None, None)
            self.message.emit(f"No images in {folder}.")
        return True

    def open_image(self, name: str) -> bool:
        """Save the current image as needed, then show `name` (never waits for embeddings)."""
        if name == self.current:
            return True
        if not self.flush():
            return False
        try:
            doc, rgb = self.project.load(name)
        except (SamicError, OSError) as e:
            self.project._set_status(name, ImageStatus.ERROR)
            self.error.emit(f"{e}\nThe image cannot be shown; the other images still can.")
            return False
        doc.sam_model = doc.sam_model or self.service.model_id
        self.current = name
        self.editor.set_document(doc)
        self.image_opened.emit(doc, rgb)
        if self.project.folder is not None:
            self.settings.remember_image(self.project.folder, name)
        path = self.project.path_of(name)
        self.service.show_image(path, rgb.pixels)
        if self.service.ready:
            self.service.prioritize(path)
            self.service.request_embedding(path)
        return True

    def step(self, delta: int, only_unfinished: bool = False) -> bool:
        names = [p.name for p in self.project.images]
        if not names:
            return False
        i = names.index(self.current) if self.current in names else -1
        for k in range(1, len(names) + 1):
            j = i + delta * k
            if not 0 <= j < len(names):
                return False
            if not only_unfinished or self.project.statuses.get(names[j]) != ImageStatus.DONE:
                return self.open_image(names[j])
        return False

    # ---- saving ------------------------------------------------------------------------------
    def save(self) -> bool:
        doc = self.editor.doc
        if doc is None:
            return False
        if doc.locked:
            self.error.emit(f"{doc.name} is read-only because its annotation file is damaged.")
            return False
        ok = self.project.save(doc, self.service.model_id)
        if ok:
            self.message.emit(f"Saved {doc.name}.")
        return ok

    def flush(self) -> bool:
        """Before leaving an image: autosave, or ask. False = the user cancelled."""
        doc = self.editor.doc
        if doc is None or not doc.dirty or doc.locked:
            return True
        if self.settings.autosave:
            return self.project.save(doc, self.service.model_id)  # failed: stay, nothing lost
        self.wait_pending()  # no autosave later: what the user saves must hold the final masks
        answer = self.ask_save(doc.name)
        if answer == CANCEL:
            return False
        if answer == SAVE:
            return self.project.save(doc, self.service.model_id)
        else:
            doc.dirty = False
        return True

    def _started(self) -> None:
        """The first object on an image makes it "in progress" at once, not on its next save."""
        doc = self.editor.doc
        if doc is None or self.project.statuses.get(doc.name) != ImageStatus.NOT_STARTED:
            return
        if any(o.has_prompts or o.mask is not None for o in doc.objects):
            self.project._set_status(doc.name, ImageStatus.IN_PROGRESS)

    def _settled(self, doc: Document) -> None:
        """A document left behind received its pending masks: store them too."""
        if self.settings.autosave and not doc.locked:
            self.project.save(doc, self.service.model_id)

    def wait_pending(self, timeout_s: float = 10.0) -> bool:
        """Let decodes in flight land (the event loop keeps running); False on timeout."""
        deadline = time.monotonic() + timeout_s
        while self.editor.pending_count and time.monotonic() < deadline:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            time.sleep(0.005)
        return not self.editor.pending_count

    def add_service(self, service: BackgroundService) -> None:
        """Have `service` asked about and stopped on close (SAMIC, export/import, downloads)."""
        self.services.append(service)

    def close(self, saved: Callable[[], None] | None = None) -> bool:
        """On window close, the one place every service stops: ask when one is working, let
        pending masks land, save what needs saving, then shut every service down.

        `saved` runs once the work is safe and before waiting for the workers in progress (a
        vit_b encode block takes seconds on a busy CPU): the window hides there, not after.
        False = the user chose to keep working (nothing was stopped).
        """
        busy = [text for s in self.services if (text := s.busy_text)]
        if busy and not self.ask_stop(busy):
            return False
        self.wait_pending()
        if not self.flush():
            return False
        if saved is not None:
            saved()
        for service in self.services:
            service.shutdown()
        return True

    def mark_done_and_next(self) -> None:
        self.editor.set_done(True)
        self.save()
        self.step(+1, only_unfinished=True)
