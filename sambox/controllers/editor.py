"""Editing the open image: prompts, objects, classes, undo/redo, masks kept in step.

Every edit swaps in a new immutable Snapshot and records the old one for undo. After any
change `_sync` asks the SAM service to decode each object whose prompts differ from the ones
its mask came from; a result is applied only if the object still has exactly those prompts,
so late answers to earlier clicks (or to undone edits) are dropped.

Masks corrected by hand (brush, eraser, polygon) are marked `edited`; a prompt change that
would re-decode such a mask first asks `confirm_redecode`, and clearing one asks
`confirm_clear`, so an edit is never lost silently.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from sambox.controllers.protocols import SegmentationService
from sambox.model.decoding import DecodeRequest, DecodeResult
from sambox.model.document import Box, Document, ObjectState, PromptKey, Snapshot
from sambox.model.history import History
from sambox.model.mask_edit import XY, apply_region, polygon_region, stroke_region


def _feedback(obj: ObjectState) -> np.ndarray | None:
    """The previous low-res logits, when the new prompts only add to the decoded ones."""
    old, new = obj.mask_key, obj.key
    if obj.low_res is None or old is None or new.candidate is not None:
        return None
    if new.count <= old.count or not set(old.points) <= set(new.points):
        return None
    return obj.low_res if old.box is None or old.box == new.box else None


class EditorController(QObject):
    changed = Signal()  # the open document's state changed: redraw
    decoded = Signal(object)  # a DecodeResult was applied to the open document
    message = Signal(str)  # a short status-bar note
    error = Signal(str)
    settled = Signal(object)  # a document switched away from got its last pending mask

    def __init__(self, service: SegmentationService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.doc: Document | None = None
        self.history = History()
        self.active_label = "object"
        self._in_flight: dict[tuple[Path, int], PromptKey] = {}
        self._background: dict[Path, Document] = {}
        # Asked before new prompts re-decode a hand-edited mask: True = re-decode, False = keep
        # the edit (and drop the prompt change). The window shows a dialog; headless: keep.
        self.confirm_redecode: Callable[[ObjectState], bool] = lambda obj: False
        # Asked before Esc clears a hand-edited object: True = clear, False = keep it as it is.
        self.confirm_clear: Callable[[ObjectState], bool] = lambda obj: False
        # What the view shows of the image, (y0, x0, y1, x1) pixels, when a prompt is given:
        # zoomed in on a big image, the service decodes it in a tile. The window wires the
        # canvas's in; headless: None (the whole image's embedding).
        self.view_region: Callable[[], tuple[int, int, int, int] | None] = lambda: None
        service.decode_ready.connect(self._on_decoded)
        service.decode_failed.connect(self._on_failed)

    # ---- document ----------------------------------------------------------------------------
    def set_document(self, doc: Document | None) -> None:
        """Open `doc`; the previous one keeps receiving its pending masks in the background."""
        if self.doc is not None and self.has_pending(self.doc):
            self._background[self.doc.image_path] = self.doc
        self.doc = doc
        self.history.clear()
        if doc is not None and doc.current is not None:
            self.active_label = doc.current.label
        self._sync()
        self.changed.emit()

    def has_pending(self, doc: Document | None = None) -> bool:
        doc = doc or self.doc
        return doc is not None and any(p == doc.image_path for p, _ in self._in_flight)

    @property
    def pending_count(self) -> int:
        """Decodes asked for and not answered yet (all documents)."""
        return len(self._in_flight)

    @property
    def current(self) -> ObjectState | None:
        return None if self.doc is None else self.doc.current

    def _editable(self) -> Document | None:
        if self.doc is None:
            return None
        if self.doc.locked:
            self.message.emit(f"{self.doc.name} is read-only: {self.doc.locked}")
            return None
        return self.doc

    def _commit(self, label: str, state: Snapshot) -> None:
        assert self.doc is not None
        self.history.record(label, self.doc.state)
        self.doc.state = state
        self.doc.dirty = True
        self._sync()
        self.changed.emit()

    def _target(self) -> ObjectState | None:
        """The object being prompted; a new one when there is none."""
        assert self.doc is not None
        obj = self.doc.current
        if obj is None:
            obj = ObjectState(id=self.doc.next_id(), label=self.active_label)
        return obj

    def _with_current(self, obj: ObjectState) -> Snapshot:
        assert self.doc is not None
        return replace(self.doc.replace_object(obj), current_id=obj.id)

    # ---- prompts -----------------------------------------------------------------------------
    def add_point(self, x: float, y: float, positive: bool) -> bool:
        doc = self._editable()
        if doc is None or not self._model_ready():
            return False
        if not (0 <= x < doc.width and 0 <= y < doc.height):
            return False
        obj = self._target()
        assert obj is not None
        new = obj.with_prompts((*obj.points, (float(x), float(y), bool(positive))), obj.box)
        if not self._may_redecode(obj):
            return False
        self._commit("add point" if positive else "add negative point", self._with_current(new))
        return True

    def set_box(self, box: Box) -> bool:
        doc = self._editable()
        if doc is None or not self._model_ready():
            return False
        x0, y0, x1, y1 = box
        x0, x1 = sorted((max(0.0, min(x0, doc.width)), max(0.0, min(x1, doc.width))))
        y0, y1 = sorted((max(0.0, min(y0, doc.height)), max(0.0, min(y1, doc.height))))
        if x1 - x0 < 2 or y1 - y0 < 2:
            return False
        obj = self._target()
        assert obj is not None
        if not self._may_redecode(obj):
            return False
        self._commit("draw box", self._with_current(obj.with_prompts(obj.points, (x0, y0, x1, y1))))
        return True

    def delete_last_point(self) -> None:
        doc = self._editable()
        obj = self.current
        if doc is None or obj is None or not obj.has_prompts or not self._may_redecode(obj):
            return
        if obj.points:
            obj = obj.with_prompts(obj.points[:-1], obj.box)
        else:
            obj = obj.with_prompts((), None)
        self._commit("delete last point", doc.replace_object(obj))

    def clear_object(self) -> None:
        """Remove all prompts (and the mask) of the current object; a hand edit asks first."""
        doc = self._editable()
        obj = self.current
        if doc is None or obj is None or not obj.has_prompts:
            return
        if obj.edited and not self.confirm_clear(obj):
            self.message.emit(f"Kept the hand-edited object #{obj.id}.")
            return
        self._commit("clear object", doc.replace_object(obj.with_prompts((), None)))

    def cycle_candidate(self, step: int = 1) -> None:
        """Show SAM's next (or previous) of 3 candidate masks for a single click."""
        doc = self._editable()
        obj = self.current
        if doc is None or obj is None or not obj.key.is_single_click:
            self.message.emit("Candidate masks exist for a single click only.")
            return
        if not self._may_redecode(obj):
            return
        n = len(obj.candidate_scores) or 3
        base = obj.candidate if obj.candidate is not None else (obj.result_candidate or 0)
        obj = obj.with_prompts(obj.points, obj.box, (base + step) % n)
        self._commit("choose candidate mask", doc.replace_object(obj))

    def _may_redecode(self, obj: ObjectState) -> bool:
        """False when `obj` holds a hand edit the annotator chose to keep (nothing changes)."""
        if not obj.edited:
            return True
        if self.confirm_redecode(obj):
            return True
        self.message.emit(f"Kept the hand-edited mask of object #{obj.id}; prompts unchanged.")
        return False

    # ---- hand edits ----------------------------------------------------------------------------
    def paint_stroke(self, points: Sequence[XY], radius: float, erase: bool) -> bool:
        """Brush (add) or eraser (remove) along `points` on the current object's mask."""
        doc = self._editable()
        if doc is None or not points:
            return False
        obj = doc.current
        if erase and (obj is None or obj.mask is None):
            self.message.emit("Select an object with a mask to erase from.")
            return False
        if obj is None:
            obj = ObjectState(id=doc.next_id(), label=self.active_label)
        stroke = stroke_region(points, radius, doc.shape)
        if stroke is None:
            return False  # a stroke in the margin around the image
        mask, origin = apply_region(obj.mask, obj.origin, *stroke, erase, doc.shape)
        return self._set_mask(obj, mask, origin, "erase" if erase else "brush")

    def apply_polygon(self, vertices: Sequence[XY], cut: bool) -> bool:
        """A closed polygon: a new object of the active class, or (cut) a hole in the current."""
        doc = self._editable()
        if doc is None or len(vertices) < 3:
            return False
        polygon = polygon_region(vertices, doc.shape)
        if polygon is None:
            return False
        obj = doc.current
        if cut:
            if obj is None or obj.mask is None:
                self.message.emit("Select an object with a mask to cut a region out of.")
                return False
            mask, origin = apply_region(obj.mask, obj.origin, *polygon, True, doc.shape)
            return self._set_mask(obj, mask, origin, "cut polygon")
        if obj is None or obj.has_prompts or obj.mask is not None:
            obj = ObjectState(id=doc.next_id(), label=self.active_label)
        mask, origin = apply_region(None, (0, 0), *polygon, False, doc.shape)
        return self._set_mask(obj, mask, origin, "draw polygon")

    def _set_mask(
        self, obj: ObjectState, mask: np.ndarray, origin: tuple[int, int], label: str
    ) -> bool:
        if obj.mask is not None and obj.origin == origin and np.array_equal(obj.mask, mask):
            return False
        assert self.doc is not None
        edited = obj.with_edited_mask(mask if mask.any() or obj.has_prompts else None, origin)
        self._commit(label, self._with_current(edited))
        return True

    # ---- objects -----------------------------------------------------------------------------
    def new_object(self) -> None:
        """Start the next instance (an empty object becomes current; it is saved once prompted)."""
        doc = self._editable()
        if doc is None:
            return
        cur = doc.current
        if cur is not None and not cur.has_prompts and cur.mask is None:
            return  # already on a fresh object (a polygon object has a mask: keep it)
        objs = tuple(o for o in doc.objects if o.has_prompts or o.mask is not None)
        obj = ObjectState(id=doc.next_id(), label=self.active_label)
        self._commit("new object", Snapshot((*objs, obj), obj.id, doc.state.done))

    def select_object(self, object_id: int) -> None:
        if self.doc is None or self.doc.get(object_id) is None:
            return
        if self.doc.state.current_id != object_id:
            self.doc.state = replace(self.doc.state, current_id=object_id)
            self.active_label = self.doc.get(object_id).label  # type: ignore[union-attr]
            self.changed.emit()

    def delete_object(self, object_id: int | None = None) -> None:
        doc = self._editable()
        if doc is None:
            return
        object_id = doc.state.current_id if object_id is None else object_id
        if doc.get(object_id) is None:
            return
        objs = tuple(o for o in doc.objects if o.id != object_id)
        current = objs[-1].id if objs else None
        self._commit("delete object", Snapshot(objs, current, doc.state.done))

    def set_label(self, label: str) -> None:
        """Pick the class of the current object (and of the next ones)."""
        self.active_label = label
        doc = self._editable()
        obj = self.current
        if doc is None or obj is None or obj.label == label:
            self.changed.emit()
            return
        self._commit("change class", doc.replace_object(replace(obj, label=label)))

    def rename_label(self, old: str, new: str) -> None:
        """A class was renamed: relabel the open objects (this cannot be undone)."""
        if self.active_label == old:
            self.active_label = new
        doc = self.doc
        if doc is not None and not doc.locked and any(o.label == old for o in doc.objects):
            objs = tuple(replace(o, label=new) if o.label == old else o for o in doc.objects)
            doc.state = replace(doc.state, objects=objs)
            doc.dirty = True
            self.history.clear()
        self.changed.emit()

    def set_done(self, done: bool) -> None:
        doc = self._editable()
        if doc is None or doc.state.done == done:
            return
        self._commit("mark done" if done else "mark not done", replace(doc.state, done=done))

    # ---- undo / redo -------------------------------------------------------------------------
    def undo(self) -> None:
        self._restore(self.history.undo, "Undo")

    def redo(self) -> None:
        self._restore(self.history.redo, "Redo")

    def _restore(self, step: Callable[[Snapshot], Snapshot | None], verb: str) -> None:
        if self.doc is None or self.doc.locked:
            return
        state = step(self.doc.state)
        if state is None:
            self.message.emit(f"Nothing to {verb.lower()}.")
            return
        self.doc.state = state
        self.doc.dirty = True
        self._sync()
        self.changed.emit()

    # ---- decoding ----------------------------------------------------------------------------
    def _model_ready(self) -> bool:
        if not self.service.ready:
            self.message.emit("No SAM model is loaded yet: set one up in Settings to annotate.")
            return False
        return True

    def _sync(self) -> None:
        """Request a decode for every object whose mask is out of date (and not yet asked)."""
        doc = self.doc
        if doc is None or not self.service.ready:
            return
        for obj in doc.objects:
            slot = (doc.image_path, obj.id)
            if obj.needs_decode and self._in_flight.get(slot) != obj.key:
                self._in_flight[slot] = obj.key
                feedback = _feedback(obj)
                self.service.request_decode(
                    DecodeRequest(
                        self.service.new_request_id(),
                        doc.image_path,
                        obj.id,
                        obj.key,
                        feedback,
                        view=self.view_region(),
                        input_tile=obj.low_res_tile if feedback is not None else None,
                    )
                )

    def resync(self) -> None:
        """Decode whatever is out of date (called when the engine becomes ready)."""
        self._in_flight.clear()
        self._sync()

    def _doc_for(self, path: Path) -> Document | None:
        if self.doc is not None and self.doc.image_path == path:
            return self.doc
        return self._background.get(path)

    def _settle(self, request: DecodeRequest) -> Document | None:
        slot = (request.image_path, request.object_id)
        if self._in_flight.get(slot) == request.key:
            del self._in_flight[slot]
        return self._doc_for(request.image_path)

    def _on_decoded(self, result: DecodeResult) -> None:
        req = result.request
        doc = self._settle(req)
        if doc is None:
            return
        obj = doc.get(req.object_id)
        kept_edit = obj is not None and obj.edited and obj.mask_key == req.key  # edited since
        if obj is not None and obj.key == req.key and not kept_edit:
            obj = obj.with_result(
                req.key,
                result.mask,
                result.score,
                result.low_res,
                result.candidate,
                result.candidate_scores,
                result.tile,
                result.origin,
            )
            doc.state = doc.replace_object(obj)
            doc.dirty = True
        if doc is self.doc:
            self.changed.emit()
            self.decoded.emit(result)
        elif not self.has_pending(doc):
            self._background.pop(doc.image_path, None)
            self.settled.emit(doc)

    def _on_failed(self, request: DecodeRequest, message: str) -> None:
        doc = self._settle(request)
        if doc is not None and doc is not self.doc and not self.has_pending(doc):
            self._background.pop(doc.image_path, None)
            self.settled.emit(doc)
        self.error.emit(message)
