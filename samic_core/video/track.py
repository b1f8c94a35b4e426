"""Track a clip's objects from the frames the annotator prompted to every other frame.

The prompts are the clip's protected frames (samic_core/predict/saving.py's rule: a frame with
manual or reviewed objects, or marked done): their trusted objects' masks, as saved, with their
ids as track ids. A tracker (SAM 2.1's video predictor, or SAMIC frame to frame for SAM 1,
samic_core/video/trackers.py) carries them forward from the first prompted frame and
backward from the last. Every other frame gets the tracked objects as unreviewed predictions
under the same ids; a protected frame is never written (decided under the folder's lock on the
frame as it is on disk then, so an edit saved in the app meanwhile wins). A correction is a
protected frame: the next run propagates from it too.

A run is resumable: `annotations/.track.json` records, for the prompts, model and frames of
the run (a key), how far each pass has written and what it wrote there. A run with the same key
goes on from there, with the masks written on that frame as that pass's prompt at that point
(the tracker's memory is not saved); a frame rejected or corrected since starts the pass over.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from samic_core.annotation import AnnotatedObject, AnnotationStore, ImageAnnotation, Point
from samic_core.annotation.layout import TRACK_JOURNAL
from samic_core.annotation.mask_points import deepest_point
from samic_core.annotation.masks import instances_from_masks
from samic_core.errors import SamicError
from samic_core.fileio import atomic_write_json
from samic_core.jobs import Progress, ShouldStop
from samic_core.predict.saving import is_protected, protected_on_disk
from samic_core.video.clip import Clip

log = logging.getLogger(__name__)
JOURNAL = TRACK_JOURNAL  # a name the annotation files never take
FINISHED = "finished"  # a pass's digest in the journal once it reached the clip's end

Prompts = dict[int, dict[int, np.ndarray]]  # frame -> track id -> (H, W) bool mask


class Tracker(Protocol):
    """What carries masks through a clip (samic_core/video/trackers.py)."""

    model_id: str  # the SAM model the frames' annotations name
    run_id: str  # every model the run depends on (the journal's key)

    def track(
        self,
        clip: Clip,
        prompts: Mapping[int, Mapping[int, np.ndarray]],
        passes: Sequence[tuple[bool, int]],
    ) -> Iterator[tuple[int, bool, dict[int, np.ndarray]]]: ...


@dataclass
class TrackReport:
    """What a run did to each frame (frame file names)."""

    prompted: list[str] = field(default_factory=list)  # the annotator's frames: the prompts
    written: list[str] = field(default_factory=list)  # predictions written
    empty: list[str] = field(default_factory=list)  # no track visible; earlier predictions gone
    protected: list[str] = field(default_factory=list)  # saved meanwhile with the annotator's work
    tracks: dict[int, str] = field(default_factory=dict)  # track id -> class
    cancelled: bool = False
    resumed: bool = False  # went on from an earlier run's journal
    frames_tracked: int = 0
    seconds: float = 0.0


def clip_prompts(store: AnnotationStore, clip: Clip) -> tuple[Prompts, dict[int, str], list[str]]:
    """The prompts of a clip: {frame: {track id: mask}}, {track id: class}, prompted frame names.

    A frame prompts when it is protected; its trusted objects (manual or reviewed, or every
    object of a frame marked done) are the prompts. A track's class is the one it has on its
    first prompted frame."""
    prompts: Prompts = {}
    labels: dict[int, str] = {}
    names = []
    for i, frame in enumerate(clip.frames):
        if not store.exists(frame.name):
            continue
        loaded = store.load(frame.name)
        ann = loaded.annotation
        if not is_protected(ann):
            continue
        trusted = [o for o in ann.objects if ann.done or o.source == "manual" or o.reviewed]
        masks = {o.id: loaded.instances == o.id for o in trusted}
        masks = {k: m for k, m in masks.items() if m.any()}
        if not masks:
            continue
        prompts[i] = masks
        names.append(frame.name)
        for o in trusted:
            if labels.setdefault(o.id, o.label) != o.label:
                log.warning("%s: track %d is %r here but %r on an earlier frame; keeping %r",
                            frame.name, o.id, o.label, labels[o.id], labels[o.id])  # fmt: skip
    return prompts, labels, names


def require_prompts(
    store: AnnotationStore, clip: Clip
) -> tuple[Prompts, dict[int, str], list[str]]:
    """clip_prompts, or a SamicError naming the clip when no frame prompts (checked before a
    tracker is loaded)."""
    prompts, labels, names = clip_prompts(store, clip)
    if not prompts:
        raise SamicError(
            f"{clip.folder}: no prompted frame: annotate the objects on at least one frame first "
            "(manual objects, reviewed predictions or a frame marked done)"
        )
    return prompts, labels, names


def prompts_key(
    prompts: Prompts, labels: Mapping[int, str], model_id: str, frames: Sequence[str] = ()
) -> str:
    """A digest of the prompts (frames, ids, classes, mask pixels), the tracker's model and the
    clip's frame names (a frame added or removed is another clip)."""
    h = hashlib.sha256(model_id.encode())
    h.update("\n".join(frames).encode())
    for t in sorted(prompts):
        for obj_id in sorted(prompts[t]):
            m = prompts[t][obj_id]
            h.update(f"{t}:{obj_id}:{labels.get(obj_id)}:{m.shape}".encode())
            h.update(np.packbits(m).tobytes())
    return h.hexdigest()[:32]


def save_frame(
    store: AnnotationStore, frame: Path, masks: Mapping[int, np.ndarray],
    labels: Mapping[int, str], model_id: str,
) -> tuple[str, dict[int, np.ndarray]]:  # fmt: skip
    """Write one frame's tracked objects (unreviewed predictions, ids = track ids): ("written",
    "empty" or "protected", {id: the mask as written}). Where tracks overlap the higher id is
    painted over the lower; a track left without a pixel is not written. The protection check
    and the write are one step under the lock."""
    present = {k: m for k, m in masks.items() if m.any()}
    sha = store.image_sha256(frame)
    with store.lock():
        if protected_on_disk(store, frame.name):
            return "protected", {}
        h, w = next(iter(masks.values())).shape if masks else (1, 1)
        painted = instances_from_masks(sorted(present.items()), (h, w))
        visible = {k: painted == k for k in present if (painted == k).any()}
        if not visible:
            if store.exists(frame.name):
                store.delete(frame.name)
            return "empty", {}
        objects = []
        for obj_id in sorted(visible):
            p = deepest_point(visible[obj_id])
            points = [] if p is None else [Point(x=p[0], y=p[1], positive=True)]
            label = labels.get(obj_id, "object")
            objects.append(AnnotatedObject(id=obj_id, label=label, points=points,
                                           source="predicted", reviewed=False))  # fmt: skip
        ann = ImageAnnotation(image=frame.name, image_sha256=sha, width=w, height=h,
                              sam_model=model_id, objects=objects)  # fmt: skip
        store.save(ann, painted)
    return "written", visible


def _saved_masks(store: AnnotationStore, frame: Path) -> dict[int, np.ndarray]:
    """The objects saved on a frame, {id: mask} (a resumed pass's prompt there)."""
    if not store.exists(frame.name):
        return {}
    loaded = store.load(frame.name)
    return {o.id: loaded.instances == o.id for o in loaded.annotation.objects}


def track_clip(
    clip: Clip,
    tracker: Tracker,
    store: AnnotationStore | None = None,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
    restart: bool = False,
) -> TrackReport:
    """Track the prompted objects of `clip` to all its frames and save them (see the module).

    Two passes, each its own run of the tracker: forward from the first prompted frame, then
    backward from the last. restart: ignore an earlier run's journal and track it all again."""
    started = time.perf_counter()
    store = store or AnnotationStore(clip.folder)
    prompts, labels, names = require_prompts(store, clip)
    report = TrackReport(prompted=names, tracks=dict(sorted(labels.items())))
    key = prompts_key(prompts, labels, tracker.run_id, [p.name for p in clip.frames])
    journal_path = store.dir / JOURNAL
    journal = {} if restart else _read_journal(journal_path, key)
    store.ensure_classes(sorted(set(labels.values())))
    first, last, n = min(prompts), max(prompts), len(clip)
    plan = []
    state: dict[str, object] = {"key": key}  # the journal this run writes
    for reverse, natural, end in ((False, first, n - 1), (True, last, 0)):
        name = "backward" if reverse else "forward"
        start, extra = natural, {}
        done = journal.get(name)
        if done == end and journal.get(f"{name}_digest") == FINISHED:
            start = end  # this pass finished in an earlier run: it stays finished
            state.update({name: end, f"{name}_digest": FINISHED})
        elif isinstance(done, int) and 0 <= done < n and done != natural:
            saved = {k: m for k, m in _saved_masks(store, clip.frames[done]).items() if m.any()}
            if saved and _digest(saved) == journal.get(f"{name}_digest"):
                start, extra = done, {done: saved}  # go on with what was written there
                report.resumed = start != end
        if start != end:  # else nothing beyond: the clip's end, or a pass already finished
            plan.append((reverse, start, extra))
    total = sum((n - s) if not r else (s + 1) for r, s, _ in plan)
    for reverse, start, extra in plan:
        name = "backward" if reverse else "forward"
        for t, _, masks in tracker.track(clip, {**prompts, **extra}, [(reverse, start)]):
            if should_stop is not None and should_stop():
                report.cancelled = True
                break
            frame = clip.frames[t]
            report.frames_tracked += 1
            if t not in prompts:
                status, written = save_frame(store, frame, masks, labels, tracker.model_id)
                getattr(report, status).append(frame.name)
                state.update({name: t, f"{name}_digest": _digest(written)})
                atomic_write_json(journal_path, state)
            if progress is not None:
                progress(report.frames_tracked, total, frame.name)
        if report.cancelled:
            break
        state.update({name: 0 if reverse else n - 1, f"{name}_digest": FINISHED})
        atomic_write_json(journal_path, state)
    report.seconds = time.perf_counter() - started
    return report


def _digest(masks: Mapping[int, np.ndarray]) -> str:
    """What was written on a frame (ids and pixels): a resumed pass goes on from that frame
    only while it is still there as written (not rejected or corrected since)."""
    h = hashlib.sha256()
    for k in sorted(masks):
        h.update(f"{k}:{masks[k].shape}".encode())
        h.update(np.packbits(masks[k]).tobytes())
    return h.hexdigest()[:32]


def _read_journal(path: Path, key: str) -> dict[str, object]:
    """How far the passes of the run with this key got ({} for another key or none)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("key") != key:
        return {}
    return {k: v for k, v in data.items() if k != "key"}
