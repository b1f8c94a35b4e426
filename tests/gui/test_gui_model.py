"""The Qt-free state: saturation rule, undo history, holes kept through save/load, overlay."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from sambox.model.confidence import is_saturated
from sambox.model.convert import from_loaded, to_annotation
from sambox.model.document import Document, ObjectState, PromptKey, Snapshot
from sambox.model.history import History
from sambox.model.overlay import boundary, render_fill
from samic_core.annotation import AnnotationStore


def test_saturation_near_one_or_when_confidence_stops_rising():
    assert not is_saturated([])
    assert not is_saturated([0.6, 0.8])
    assert is_saturated([0.96])
    assert is_saturated([0.7, 0.85, 0.855, 0.858])  # two prompts that added < 0.01
    assert not is_saturated([0.7, 0.85, 0.855, 0.9])


def test_history_undo_redo_and_redo_cleared_by_new_edit():
    h = History()
    s0, s1, s2 = (Snapshot((), None, d) for d in (False, True, False))
    h.record("a", s0)
    assert h.undo(s1) is s0 and h.redo(s0) is s1
    h.record("b", s1)
    assert h.redo(s2) is None and h.undo(s2) is s1


def test_confidence_history_is_indexed_by_prompt_count():
    o = ObjectState(id=1, label="x", points=((1.0, 1.0, True),))
    m = np.zeros((4, 4), bool)
    o = o.with_result(o.key, m, 0.5, None, 0, (0.5, 0.2, 0.1))
    o = o.with_prompts((*o.points, (2.0, 2.0, True)), None)
    assert o.needs_decode and o.mask is m  # the old mask stays until the new one lands
    o = o.with_result(o.key, m, 0.8, None, None, (0.8,))
    assert o.history == (0.5, 0.8)
    o = o.with_prompts(o.points[:1], None)
    o = o.with_result(o.key, m, 0.55, None, 0, (0.55, 0.2, 0.1))
    assert o.history == (0.55,)


def test_masks_with_holes_survive_save_and_reopen(tmp_path: Path):
    folder = tmp_path / "f"
    folder.mkdir()
    image = np.full((60, 80, 3), 90, np.uint8)
    cv2.imwrite(str(folder / "ring.png"), image)
    ring = np.zeros((60, 80), bool)
    cv2.circle(ring.view(np.uint8), (40, 30), 20, 1, -1)
    ring[25:35, 35:45] = False  # a hole SAM left in the mask
    store = AnnotationStore(folder)
    sha = store.image_sha256(folder / "ring.png")
    key = PromptKey(((40.0, 12.0, True), (40.0, 30.0, False)), None, None)
    obj = ObjectState(id=1, label="ring", points=key.points).with_result(
        key, ring, 0.97, None, None, (0.97,)
    )
    doc = Document(folder / "ring.png", sha, 80, 60, Snapshot((obj,), 1, True))
    ann, instances = to_annotation(doc)
    store.save(ann, instances)
    back = from_loaded(folder / "ring.png", store.load("ring.png"))
    assert np.array_equal(back.objects[0].mask, ring)
    assert not back.objects[0].needs_decode and back.state.done
    assert back.objects[0].points == key.points
    assert boundary(back.instances())[30, 40] == np.False_  # inside the hole: no mask
    assert render_fill(back.instances())[30, 40, 3] == 0
