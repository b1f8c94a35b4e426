"""Reviewing predictions, as pure functions on document snapshots and annotation files.

A predicted object is one SAMIC proposed (source "predicted"); it stays "not reviewed" until the
annotator accepts the image or edits the object's prompts. Accepting marks every object of the
image reviewed (which makes them training data for the next run), rejecting drops the
predictions that were not reviewed. Images are ordered for review by confidence: the image's
least confident prediction first, so the doubtful ones are looked at while attention is fresh.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

import numpy as np

from sambox.model.document import Document, ObjectState, PromptKey, Snapshot
from sambox.model.placed import kept_form
from sambox.model.samic_info import Suggestion
from samic_core.annotation import ImageAnnotation


def is_unreviewed(obj: ObjectState) -> bool:
    return obj.source == "predicted" and not obj.reviewed


def unreviewed_count(state: Snapshot) -> int:
    return sum(1 for o in state.objects if is_unreviewed(o))


def accept_all(state: Snapshot) -> Snapshot:
    """Every object reviewed and the image done (the annotator checked all of it)."""
    objs = tuple(replace(o, reviewed=True) if is_unreviewed(o) else o for o in state.objects)
    return replace(state, objects=objs, done=True)


def reject_predictions(state: Snapshot) -> Snapshot:
    """Drop the predictions nobody reviewed; manual and edited objects stay."""
    objs = tuple(o for o in state.objects if not is_unreviewed(o))
    current = state.current_id if any(o.id == state.current_id for o in objs) else None
    if current is None and objs:
        current = objs[-1].id
    return replace(state, objects=objs, current_id=current, done=False)


def add_suggestions(doc: Document, suggestions: Sequence[Suggestion], label: str) -> Snapshot:
    """Each suggestion becomes a new predicted object whose mask matches its prompts.

    The mask counts as decoded from exactly these points (mask_key = key), so nothing is
    decoded again until the annotator edits them; empty objects left over are dropped.
    """
    objs = [o for o in doc.objects if o.has_prompts or o.mask is not None]
    next_id = max((o.id for o in objs), default=0) + 1
    first_new = None
    for k, s in enumerate(suggestions):
        points = tuple((float(x), float(y), True) for x, y in s.points)
        key = PromptKey(points, None, None)
        mask, origin = kept_form(np.asarray(s.mask, bool), s.origin, doc.shape)
        obj = ObjectState(
            id=next_id + k,
            label=label,
            points=points,
            mask=mask,
            origin=origin,
            mask_key=key,
            score=s.score,
            low_res=s.low_res,  # type: ignore[arg-type]
            result_candidate=s.candidate,
            history=(s.score,),
            source="predicted",
            reviewed=False,
        )
        objs.append(obj)
        first_new = first_new or obj.id
    current = first_new if first_new is not None else doc.state.current_id
    if current is not None and not any(o.id == current for o in objs):
        current = objs[-1].id if objs else None
    return Snapshot(tuple(objs), current, doc.state.done)


def image_confidence(ann: ImageAnnotation) -> float | None:
    """The lowest score among the image's unreviewed predictions; None when it has none.

    An unreviewed prediction without a score counts as 0 (nothing vouches for it).
    """
    scores = [
        o.score if o.score is not None else 0.0
        for o in ann.objects
        if o.source == "predicted" and not o.reviewed
    ]
    return min(scores) if scores else None


def review_order(names: Sequence[str], confidence: dict[str, float | None]) -> list[str]:
    """Images with unreviewed predictions first, least confident first; then the rest as given."""
    indexed = {n: i for i, n in enumerate(names)}
    predicted = [n for n in names if confidence.get(n) is not None]
    predicted.sort(key=lambda n: (confidence[n], indexed[n]))
    return predicted + [n for n in names if confidence.get(n) is None]


def next_in(
    order: Sequence[str], current: str | None, wanted: Iterable[str], step: int = 1
) -> str | None:
    """The next (step=+1) or previous (-1) name of `order` after `current` that is `wanted`.

    Wraps around the end, so the last unreviewed image is found from anywhere.
    """
    wanted = set(wanted)
    if not order:
        return None
    start = order.index(current) if current in order else (-1 if step > 0 else 0)
    n = len(order)
    for k in range(1, n + 1):
        name = order[(start + step * k) % n]
        if name in wanted and name != current:
            return name
    return None
