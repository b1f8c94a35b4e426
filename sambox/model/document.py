"""One image's annotation state as immutable values, so undo/redo is a matter of swapping states.

An ObjectState carries its prompts and the SAM result for the prompts it was decoded from
(`mask_key`); when the prompts change, the old mask stays on screen until the new decode lands.
A mask corrected by hand is `edited`: it keeps `mask_key` equal to its prompts, so nothing
re-decodes it until the annotator changes the prompts (and agreed to lose the edit).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from sambox.model.placed import Origin, Region
from samic_core.annotation.masks import instances_from_masks

PointXY = tuple[float, float, bool]  # (x, y, positive) in original-image pixels
Box = tuple[float, float, float, float]  # XYXY in original-image pixels


@dataclass(frozen=True)
class PromptKey:
    """Everything a decode depends on besides the image: points, box and a forced candidate."""

    points: tuple[PointXY, ...]
    box: Box | None
    candidate: int | None

    @property
    def count(self) -> int:
        """Number of prompts (points + box): the x-axis of the confidence history."""
        return len(self.points) + (self.box is not None)

    @property
    def is_empty(self) -> bool:
        return self.count == 0

    @property
    def is_single_click(self) -> bool:
        """A lone point without a box: the case where SAM returns 3 candidate masks."""
        return len(self.points) == 1 and self.box is None


@dataclass(frozen=True, eq=False)
class ObjectState:
    """One object instance: prompts, class, and the mask SAM gave for `mask_key`.

    mask: bool at full image resolution, or None: the whole image's (H, W), or on a big image
    only its bounding rectangle with its top-left pixel at `origin` (y, x) (sambox/model/
    placed.py); low_res: (1, 256, 256) float32 logits fed back as SAM's mask input on the next
    prompt; history: confidence after 1, 2, ... prompts.
    """

    id: int
    label: str
    points: tuple[PointXY, ...] = ()
    box: Box | None = None
    candidate: int | None = None  # a candidate the annotator forced (single click only)
    mask: np.ndarray | None = None
    origin: Origin = (0, 0)
    mask_key: PromptKey | None = None
    score: float | None = None
    low_res: np.ndarray | None = None
    low_res_tile: tuple[int, int, int, int] | None = None  # the tile low_res belongs to, if any
    result_candidate: int | None = None  # the multimask output SAM's mask came from
    candidate_scores: tuple[float, ...] = ()
    history: tuple[float, ...] = ()
    source: str = "manual"
    reviewed: bool = True
    edited: bool = False  # the mask was corrected by hand (brush, eraser, polygon)

    @property
    def key(self) -> PromptKey:
        return PromptKey(self.points, self.box, self.candidate)

    @property
    def has_prompts(self) -> bool:
        return not self.key.is_empty

    @property
    def needs_decode(self) -> bool:
        """True when the prompts changed since the mask was decoded (or never decoded)."""
        return self.has_prompts and self.mask_key != self.key

    @property
    def area(self) -> int:
        return 0 if self.mask is None else int(self.mask.sum())

    def with_prompts(
        self, points: tuple[PointXY, ...], box: Box | None, candidate: int | None = None
    ) -> ObjectState:
        """New prompts; the old mask stays until the new decode replaces it."""
        if not points and box is None:
            return replace(
                self,
                points=(),
                box=None,
                candidate=None,
                mask=None,
                origin=(0, 0),
                mask_key=None,
                score=None,
                low_res=None,
                result_candidate=None,
                candidate_scores=(),
                history=(),
                edited=False,
            )
        # the annotator agreed to re-decode: the hand edit stays on screen until SAM answers
        return replace(self, points=points, box=box, candidate=candidate, edited=False)

    def with_edited_mask(self, mask: np.ndarray | None, origin: Origin = (0, 0)) -> ObjectState:
        """A hand-corrected mask (None: erased to nothing): it stands for the current prompts
        (no re-decode) and SAM's low-res logits no longer describe it, so they are not fed back
        on the next prompt."""
        return replace(
            self,
            mask=mask,
            origin=origin,
            mask_key=self.key if self.has_prompts else None,
            low_res=None,
            edited=True,
            reviewed=True,
        )

    def with_result(
        self,
        key: PromptKey,
        mask: np.ndarray,
        score: float,
        low_res: np.ndarray | None,
        result_candidate: int | None,
        candidate_scores: tuple[float, ...],
        low_res_tile: tuple[int, int, int, int] | None = None,
        origin: Origin = (0, 0),
    ) -> ObjectState:
        """The decode of `key` landed: store it and extend the confidence history.
        low_res_tile: the tile of a big image it was decoded in (None: the whole image);
        origin: where `mask` sits when it is only the mask's rectangle."""
        history = (*self.history[: key.count - 1], score)
        return replace(
            self,
            mask=mask,
            origin=origin,
            mask_key=key,
            score=score,
            low_res=low_res,
            low_res_tile=low_res_tile,
            result_candidate=result_candidate,
            candidate_scores=candidate_scores,
            history=history,
            reviewed=True,
            edited=False,
        )


@dataclass(frozen=True)
class Snapshot:
    """What undo/redo swaps: the objects, which one is being prompted, and the done flag."""

    objects: tuple[ObjectState, ...]
    current_id: int | None
    done: bool


@dataclass(eq=False)
class Document:
    """The annotation of one image while it is open (mutable holder of an immutable Snapshot).

    locked: why this image must not be saved (its annotation file is corrupt), or None.
    base: the objects as loaded from disk (samic_core.annotation.merge): a save keeps what
      another writer added since; None: save the document as it is.
    id_floor: ids taken elsewhere (a clip's other frames use them as track ids): a new object
      gets an id above them, so it never joins another object's track.
    """

    image_path: Path
    image_sha256: str
    width: int
    height: int
    state: Snapshot = field(default_factory=lambda: Snapshot((), None, False))
    sam_model: str | None = None
    dirty: bool = False
    locked: str | None = None
    base: frozenset[tuple[object, ...]] | None = None
    id_floor: int = 0

    @property
    def name(self) -> str:
        return self.image_path.name

    @property
    def shape(self) -> tuple[int, int]:
        return (self.height, self.width)

    @property
    def objects(self) -> tuple[ObjectState, ...]:
        return self.state.objects

    @property
    def current(self) -> ObjectState | None:
        return self.get(self.state.current_id)

    def get(self, object_id: int | None) -> ObjectState | None:
        return next((o for o in self.state.objects if o.id == object_id), None)

    def next_id(self) -> int:
        return max(max((o.id for o in self.state.objects), default=0), self.id_floor) + 1

    def replace_object(self, obj: ObjectState) -> Snapshot:
        """The current state with `obj` swapped in (appended when its id is new)."""
        objs = list(self.state.objects)
        for i, o in enumerate(objs):
            if o.id == obj.id:
                objs[i] = obj
                break
        else:
            objs.append(obj)
        return replace(self.state, objects=tuple(objs))

    def with_added(self, objs: list[ObjectState]) -> Snapshot:
        """The current state with `objs` appended (objects another writer saved meanwhile)."""
        return replace(self.state, objects=(*self.state.objects, *objs))

    def instances(self) -> np.ndarray:
        """uint16 (H, W) instance map: each object's mask painted with its id, in list order."""
        masks = [(o.id, o.mask, o.origin) for o in self.state.objects if o.mask is not None]
        return instances_from_masks(masks, self.shape)

    def instances_in(self, region: Region, out_hw: tuple[int, int]) -> np.ndarray:
        """uint16 (h, w) ids of `region` (y0, x0, y1, x1) sampled on an (h, w) grid (nearest
        pixel): what a view of a big image shows, never the whole image's map."""
        y0, x0, y1, x1 = region
        h, w = out_hw
        ys = np.minimum(y0 + ((np.arange(h) + 0.5) * (y1 - y0) / h).astype(np.int64), y1 - 1)
        xs = np.minimum(x0 + ((np.arange(w) + 0.5) * (x1 - x0) / w).astype(np.int64), x1 - 1)
        out = np.zeros(out_hw, np.uint16)
        for o in self.state.objects:
            if o.mask is None:
                continue
            oy, ox = o.origin
            mh, mw = o.mask.shape
            rows = np.flatnonzero((ys >= oy) & (ys < oy + mh))
            cols = np.flatnonzero((xs >= ox) & (xs < ox + mw))
            if len(rows) and len(cols):
                part = o.mask[np.ix_(ys[rows] - oy, xs[cols] - ox)]
                out[np.ix_(rows, cols)] = np.where(part, o.id, out[np.ix_(rows, cols)])
        return out
