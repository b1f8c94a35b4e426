"""The canvas's mask overlay: the open document's masks in their class colours, predictions
not yet reviewed hatched; redrawn only when a mask, a review state, a colour or (on a big image)
the view changed, since painting a full-size overlay costs more than a click."""

from __future__ import annotations

import numpy as np

from sambox.model.document import Document
from sambox.model.overlay import render_fill, render_outline
from sambox.model.review import is_unreviewed
from sambox.model.review_overlay import style_predicted
from sambox.widgets.canvas import Canvas


class MaskOverlay:
    """Paints `canvas`'s overlay from a document (a big image: the part in view only)."""

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        self._key: tuple | None = None

    def reset(self) -> None:
        """A new image: the next `show` paints whatever it gets."""
        self._key = ()

    def show(self, doc: Document | None, colours: dict[int, tuple]) -> None:
        objs = doc.objects if doc is not None else ()
        view = self.canvas.view_grid() if self.canvas.is_big else None
        if self.canvas.is_big and view is None:
            return  # nothing of it in view (never a full-size overlay of a big image)
        key = (
            None
            if doc is None
            else (view, tuple((o.id, id(o.mask), is_unreviewed(o), colours[o.id]) for o in objs))
        )
        if key == self._key:
            return
        self._key = key
        if doc is None or not any(o.mask is not None for o in doc.objects):
            self.canvas.set_overlay(None, None)
            return
        instances: np.ndarray = doc.instances() if view is None else doc.instances_in(*view)
        fill, outline = render_fill(instances, colours), render_outline(instances, colours)
        predicted = [o.id for o in doc.objects if is_unreviewed(o)]  # hatched, dashed
        region = None if view is None else view[0]
        self.canvas.set_overlay(*style_predicted(fill, outline, instances, predicted), region)
