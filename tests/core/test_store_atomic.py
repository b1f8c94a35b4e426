"""A save is one unit: kill -9 at every step of a save leaves the old or the new annotation."""

from __future__ import annotations

import json
import os
import shutil
import signal
from pathlib import Path

import cv2
import numpy as np
import pytest

from samic_core.annotation import AnnotatedObject, AnnotationStore, ImageAnnotation
from samic_core.annotation.masks import instances_from_masks
from samic_core.fileio import sha256_file

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def _state(folder: Path, labels: list[str], seed: int) -> tuple[ImageAnnotation, np.ndarray]:
    """An annotation of a.png with one object per label (random boxes, one with a hole)."""
    rng = np.random.default_rng(seed)
    h, w = cv2.imread(str(folder / "a.png")).shape[:2]
    masks = []
    for k in range(len(labels)):
        m = np.zeros((h, w), bool)
        y, x = rng.integers(0, h - 40), rng.integers(0, w - 40)
        m[y : y + 40, x : x + 40] = True
        m[y + 15 : y + 25, x + 15 : x + 25] = False
        masks.append((k + 1, m))
    objects = [AnnotatedObject(id=k + 1, label=lab) for k, lab in enumerate(labels)]
    ann = ImageAnnotation(
        image="a.png",
        image_sha256=sha256_file(folder / "a.png"),
        width=w,
        height=h,
        objects=objects,
    )
    return ann, instances_from_masks(masks, (h, w))


def _save_killed_at(folder: Path, step: int, ann: ImageAnnotation, inst: np.ndarray) -> bool:
    """Save in a forked child that SIGKILLs itself before its `step`-th file operation.

    Returns True when the child was killed, False when the save finished before that step.
    """
    pid = os.fork()
    if pid == 0:  # child: count renames, unlinks and fsyncs; die at the chosen one
        signal.alarm(30)
        count = [0]

        def counted(fn):
            def wrapper(*args, **kwargs):
                count[0] += 1
                if count[0] == step:
                    os.kill(os.getpid(), signal.SIGKILL)
                return fn(*args, **kwargs)

            return wrapper

        os.replace, os.unlink, os.fsync = (counted(f) for f in (os.replace, os.unlink, os.fsync))
        try:
            AnnotationStore(folder).save(ann, inst)
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    return os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL


def _same(loaded, ann: ImageAnnotation, inst: np.ndarray) -> bool:
    return [o.label for o in loaded.annotation.objects] == [
        o.label for o in ann.objects
    ] and np.array_equal(loaded.instances, inst)


def _write_layout_1(store: AnnotationStore, ann: ImageAnnotation, inst: np.ndarray) -> None:
    """What SAMIC up to schema_version 1 saved: <stem>.json, <stem>.png, <stem>_instances.png."""
    store.dir.mkdir(parents=True, exist_ok=True)
    labels = list(dict.fromkeys(o.label for o in ann.objects))
    store.classes_path.write_text(json.dumps(labels))
    data = ann.model_dump(mode="json", exclude={"masks"})
    data["schema_version"] = 1
    (store.dir / "a.json").write_text(json.dumps(data))
    cv2.imwrite(str(store.dir / "a_instances.png"), inst.astype(np.uint16))
    cv2.imwrite(str(store.dir / "a.png"), (inst > 0).astype(np.uint8))


@pytest.mark.parametrize("start", ["layout 2", "layout 1 (migrated by the save)"])
def test_kill_at_every_step_of_a_save_leaves_old_or_new(image_folder: Path, start: str):
    store = AnnotationStore(image_folder)
    old = _state(image_folder, ["plane", "car"], seed=1)
    new = _state(image_folder, ["plane", "car", "boat"], seed=2)
    if start == "layout 2":
        store.save(*old)
    else:
        _write_layout_1(store, *old)
    snapshot = image_folder.parent / "snapshot"
    shutil.copytree(store.dir, snapshot)
    outcomes = []
    for step in range(1, 60):
        killed = _save_killed_at(image_folder, step, *new)
        loaded = AnnotationStore(image_folder).load("a.png")
        is_old, is_new = _same(loaded, *old), _same(loaded, *new)
        assert is_old or is_new, f"kill at step {step}: neither the old nor the new annotation"
        outcomes.append("old" if is_old else "new")
        if not killed:
            break
        again = AnnotationStore(image_folder)  # the next save after a kill works and cleans up
        again.save(*new)
        assert _same(again.load("a.png"), *new)
        kept = {again.instances_path("a.png").name, again.semantic_path("a.png").name}
        masks = {p.name for p in store.dir.glob("*.png")}
        assert masks == kept, f"step {step}: leftover masks {masks - kept}"
        shutil.rmtree(store.dir)
        shutil.copytree(snapshot, store.dir)
    else:
        pytest.fail("the save never finished")
    assert outcomes[0] == "old" and outcomes[-1] == "new" and len(outcomes) >= 5
    assert outcomes == sorted(outcomes, key=lambda o: o == "new")  # old ... old new ... new


def test_stale_temp_files_of_killed_saves_are_removed(image_folder: Path):
    store = AnnotationStore(image_folder)
    store.save(*_state(image_folder, ["plane"], seed=1))
    stale = store.dir / ".a.png.json.abc123.tmp"
    fresh = store.dir / ".a.png.json.def456.tmp"  # maybe another writer's, in use right now
    stale.write_text("{")
    fresh.write_text("{")
    os.utime(stale, (1, 1))
    AnnotationStore(image_folder).save(*_state(image_folder, ["plane"], seed=2))
    assert not stale.exists() and fresh.exists()
