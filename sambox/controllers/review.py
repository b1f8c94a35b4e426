"""Reviewing SAMIC's predictions in the open folder, and suggesting prompts for one image.

Accept marks the open image's predictions reviewed (and the image done), saves, and moves to
the next image to review; reject drops the unreviewed predictions (removing the annotation
files when nothing else is left, so the image counts as not started again). Editing a
predicted object's prompts re-segments it through the editor like any other object, which also
marks it reviewed. Each of these is one undoable step of the editor's history.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from sambox.controllers.protocols import SamicServiceLike
from sambox.controllers.session import Session
from sambox.model.document import Document, Snapshot
from sambox.model.review import (
    accept_all,
    add_suggestions,
    image_confidence,
    next_in,
    reject_predictions,
    review_order,
    unreviewed_count,
)
from sambox.model.samic_info import AutoAnnotateOutcome, AutoAnnotateRequest, Suggestion
from sambox.model.status import ImageStatus
from samic_core.config import DEFAULT_PEAK_CHOICE
from samic_core.errors import AnnotationError


class ReviewController(QObject):
    message = Signal(str)
    error = Signal(str)
    order_changed = Signal()  # project.images was reordered: redraw the image list
    suggested = Signal(int)  # that many suggested objects were added to the open image

    def __init__(
        self, session: Session, samic: SamicServiceLike, parent: QObject | None = None
    ) -> None:
        """session: the app's Session (project, editor); samic: a SamicService."""
        super().__init__(parent)
        self.session = session
        self.project = session.project
        self.editor = session.editor
        self.samic = samic
        self.by_confidence = False
        self.confidence: dict[str, float | None] = {}
        self._natural: list[Path] = []
        self._pending: Path | None = None
        self._suggest_text = ""
        self.project.folder_opened.connect(self._folder_opened)
        samic.suggest_ready.connect(self._suggested)
        samic.suggest_progress.connect(self._suggest_progress)
        samic.suggest_failed.connect(self._suggest_failed)

    # ---- the open image ----------------------------------------------------------------------
    def _apply(self, doc: Document, label: str, state: Snapshot) -> None:
        """One undoable edit of the open document (no prompt changed, so nothing to decode)."""
        self.editor.history.record(label, doc.state)
        doc.state = state
        doc.dirty = True
        self.editor.changed.emit()

    def _open_doc(self) -> Document | None:
        doc = self.editor.doc
        if doc is None:
            return None
        if doc.locked:
            self.message.emit(f"{doc.name} is read-only: {doc.locked}")
            return None
        return doc

    def accept(self, and_next: bool = True) -> bool:
        """Mark every object of the open image reviewed and the image done; save; go on."""
        doc = self._open_doc()
        if doc is None:
            return False
        n = unreviewed_count(doc.state)
        self._apply(doc, "accept predictions", accept_all(doc.state))
        if not self.session.save():
            return False
        self.confidence.pop(doc.name, None)
        self.message.emit(
            f"Accepted {n} predicted object{'s' if n != 1 else ''} of {doc.name}."
            if n
            else f"{doc.name} marked done."
        )
        if and_next:
            self.next_unreviewed(+1, quiet=True)
        return True

    def reject(self) -> bool:
        """Remove the open image's unreviewed predictions (manual and edited objects stay)."""
        doc = self._open_doc()
        if doc is None:
            return False
        n = unreviewed_count(doc.state)
        if n == 0:
            self.message.emit(f"{doc.name} has no unreviewed predictions to reject.")
            return False
        state = reject_predictions(doc.state)
        self._apply(doc, "reject predictions", state)
        self.confidence.pop(doc.name, None)
        if state.objects:
            ok = self.session.save()
        else:  # nothing left: the image is unannotated again
            assert self.project.store is not None  # an open image has its folder's store
            self.project.store.delete(doc.name)
            doc.dirty = False
            self._set_status(doc.name, ImageStatus.NOT_STARTED)
            ok = True
        if ok:
            self.message.emit(f"Rejected {n} predicted object{'s' if n != 1 else ''}.")
        return ok

    def next_unreviewed(self, step: int = 1, quiet: bool = False) -> bool:
        """Open the next (or previous) image with predictions to review, in list order."""
        order = [p.name for p in self.project.images]
        wanted = [n for n, s in self.project.statuses.items() if s == ImageStatus.PREDICTED]
        name = next_in(order, self.session.current, wanted, step)
        if name is None:
            if not quiet or not wanted:
                self.message.emit("No predicted images left to review.")
            return False
        return self.session.open_image(name)

    def reload_current(self) -> bool:
        """Show the open image again from disk (after a batch wrote it); unsaved edits win."""
        name, doc = self.session.current, self.editor.doc
        if name is None or doc is None or doc.dirty:
            return False
        self.session.current = None  # open_image skips the image already shown
        return self.session.open_image(name)

    def _set_status(self, name: str, status: ImageStatus) -> None:
        self.project.statuses[name] = status
        self.project.status_changed.emit(name, status)

    # ---- order -------------------------------------------------------------------------------
    def _folder_opened(self, _folder: Path) -> None:
        self._natural = list(self.project.images)
        self.confidence = {}
        if self.by_confidence:
            self.apply_order()

    def refresh(self, names: list[str] | None = None) -> None:
        """Re-read statuses (and confidences) after files changed outside the editor."""
        if self.project.store is None:
            return
        for name in names if names is not None else list(self.project.statuses):
            if name in self.project.statuses:
                self._set_status(name, self.project.read_status(name))
        if self.by_confidence:
            self.apply_order()

    def read_confidence(self) -> dict[str, float | None]:
        """The lowest prediction score of every image waiting for review (None for the rest)."""
        store = self.project.store
        out: dict[str, float | None] = {}
        for name, status in self.project.statuses.items():
            out[name] = None
            if status == ImageStatus.PREDICTED and store is not None:
                with contextlib.suppress(AnnotationError):  # a damaged file sorts last
                    out[name] = image_confidence(store.load_json(name))
        self.confidence = out
        return out

    def batch_written(self, request: AutoAnnotateRequest, outcome: AutoAnnotateOutcome) -> None:
        """An auto-annotation batch ended: show what it wrote in the open folder, and say so."""
        if self.project.folder is None or Path(request.target_folder) != self.project.folder:
            self.message.emit(f"Auto-annotate: {outcome.summary()}.")
            return
        self.refresh([p.name for p in request.images])
        if self.session.current in (*outcome.written, *outcome.empty):
            self.reload_current()
        hint = " Review them with Ctrl+Shift+D." if outcome.written else ""
        self.message.emit(f"Auto-annotate: {outcome.summary()}.{hint}")

    def set_confidence_order(self, on: bool) -> None:
        self.by_confidence = on
        self.apply_order()

    def apply_order(self) -> None:
        """Reorder the folder's images: least confident predictions first, or by name."""
        if self.project.store is None:
            return
        natural = [p for p in self._natural if p.name in self.project.statuses]
        natural += [p for p in self.project.images if p not in natural]
        if self.by_confidence:
            names = review_order([p.name for p in natural], self.read_confidence())
            by_name = {p.name: p for p in natural}
            ordered = [by_name[n] for n in names]
        else:
            ordered = natural
        self.project.images[:] = ordered
        self.project.statuses = {p.name: self.project.statuses[p.name] for p in ordered}
        self.order_changed.emit()

    # ---- suggestions -------------------------------------------------------------------------
    def suggest(
        self,
        model: Path | None,
        label: str | None = None,
        device: str = "auto",
        peaks: str = DEFAULT_PEAK_CHOICE,
    ) -> bool:
        """Ask SAMIC for prompts on the open image; they arrive as new, editable objects.
        peaks: how the heat map becomes prompts (samic_core.config.PEAK_CHOICES)."""
        doc, folder = self._open_doc(), self.project.folder
        if doc is None or folder is None:
            return False
        if model is None:
            self.message.emit("No SAMIC model yet: annotate a few images, then Train SAMIC.")
            return False
        label = label or self.editor.active_label
        self._pending = doc.image_path
        self._suggest_text = f"Suggesting {label!r} prompts for {doc.name}…"
        self.message.emit(self._suggest_text)
        self.samic.suggest(model, doc.image_path, label, folder, None, device, peaks=peaks)
        return True

    @property
    def suggesting(self) -> bool:
        return self._pending is not None

    def _suggest_progress(self, done: int, total: int) -> None:
        """A big image is looked at tile by tile: say how far."""
        if self._pending is not None:
            self.message.emit(f"{self._suggest_text} {done} of {total} tiles")

    def _suggested(self, image_path: Path, label: str, suggestions: list[Suggestion]) -> None:
        if self._pending == image_path:
            self._pending = None
        doc = self.editor.doc
        if doc is None or doc.image_path != image_path or doc.locked:
            return  # the annotator moved on; a late answer is dropped
        if not suggestions:
            self.message.emit(f"SAMIC found no {label!r} in {doc.name}.")
            self.suggested.emit(0)
            return
        self._apply(doc, f"suggest {label}", add_suggestions(doc, suggestions, label))
        n = len(suggestions)
        self.message.emit(
            f"{n} suggested {label!r} object{'s' if n != 1 else ''}: edit their prompts, delete "
            "wrong ones, then accept."
        )
        self.suggested.emit(n)

    def _suggest_failed(self, text: str) -> None:
        self._pending = None
        self.error.emit(text)
