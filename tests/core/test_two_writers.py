"""Two writers of one folder: the app (or a user's manual save), prediction runs of other
classes, class renames and the Ray ledger. Protection is decided and the write made under one
lock, on the file as it is at that moment; predictions of different classes compose."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from samic_core.annotation import AnnotatedObject, AnnotationStore, ImageAnnotation, Point
from samic_core.predict.saving import ImageOutcome, save_found
from samic_core.sam.types import MaskResult
from samic_core.scale.ledger import RunLedger, run_key

H, W = 24, 32


def _image(folder: Path, name: str = "a.png") -> Path:
    path = folder / name
    rng = np.random.default_rng(abs(hash(name)) % 1000)
    cv2.imwrite(str(path), rng.integers(0, 255, (H, W, 3), dtype=np.uint8))
    return path


def _found(rows: slice, x: float = 4.0) -> list:
    mask = np.zeros((H, W), bool)
    mask[rows, 2:10] = True
    result = MaskResult(mask, 0.9, np.zeros((1, 256, 256), np.float32), 0, np.array([0.9]))
    return [(np.array([[x, float(rows.start)]]), result)]


def _manual(store: AnnotationStore, image: Path, label: str = "manual_class") -> None:
    """What the app's save of a hand-made object does."""
    inst = np.zeros((H, W), np.uint16)
    inst[18:22, 20:28] = 1
    obj = AnnotatedObject(
        id=1, label=label, points=[Point(x=22, y=19, positive=True)], source="manual"
    )
    ann = ImageAnnotation(
        image=image.name,
        image_sha256=store.image_sha256(image),
        width=W,
        height=H,
        objects=[obj],
    )
    store.save(ann, inst)


def test_a_manual_save_between_the_check_and_the_write_is_never_overwritten(
    tmp_path: Path, monkeypatch
) -> None:
    """The app saves a hand-made object while a prediction merges into the same image: the
    prediction either sees it (and leaves the image alone) or lands before it; never after."""
    image = _image(tmp_path)
    store = AnnotationStore(tmp_path)
    app_store = AnnotationStore(tmp_path)  # the app's own store object, as in another process
    manual = threading.Thread(target=_manual, args=(app_store, image))
    real_exists = AnnotationStore.exists

    def exists_then_app_saves(self: AnnotationStore, name: str) -> bool:
        answer = real_exists(self, name)
        if self is store and not manual.is_alive() and manual.ident is None:
            manual.start()  # the user's save lands right after the prediction looked
            manual.join(1.0)  # it can only finish here if the prediction holds no lock
        return answer

    monkeypatch.setattr(AnnotationStore, "exists", exists_then_app_saves)
    outcomes = save_found(store, image, {"plane": _found(slice(2, 8))}, "sam", (H, W))
    manual.join(10)
    assert not manual.is_alive()
    monkeypatch.undo()
    saved = AnnotationStore(tmp_path).load(image.name)
    assert any(o.source == "manual" for o in saved.annotation.objects), outcomes
    assert saved.annotation.objects[-1].label == "manual_class"


def test_nothing_found_never_deletes_what_another_writer_saved_meanwhile(
    tmp_path: Path, monkeypatch
) -> None:
    image = _image(tmp_path)
    store = AnnotationStore(tmp_path)
    save_found(store, image, {"plane": _found(slice(2, 8))}, "sam", (H, W))
    other = threading.Thread(
        target=save_found,
        args=(AnnotationStore(tmp_path), image, {"car": _found(slice(12, 16))}, "sam", (H, W)),
    )
    real_load = AnnotationStore.load

    def load_then_other_run_saves(self: AnnotationStore, name: str, **kwargs):
        loaded = real_load(self, name, **kwargs)
        if self is store and other.ident is None:
            other.start()
            other.join(1.0)
        return loaded

    monkeypatch.setattr(AnnotationStore, "load", load_then_other_run_saves)
    outcomes = save_found(store, image, {"plane": []}, "sam", (H, W))  # plane: nothing now
    other.join(10)
    monkeypatch.undo()
    assert [o.status for o in outcomes] == ["empty"]
    labels = [o.label for o in AnnotationStore(tmp_path).load(image.name).annotation.objects]
    assert labels == ["car"]


def _predict_class(folder: str, label: str, rows: tuple[int, int], names: list[str]) -> None:
    store = AnnotationStore(folder)
    for name in names:
        outcomes = save_found(
            store, Path(folder) / name, {label: _found(slice(*rows))}, "sam", (H, W)
        )
        assert outcomes[0].status == "written", outcomes


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_two_prediction_runs_of_different_classes_compose(tmp_path: Path) -> None:
    names = [_image(tmp_path, f"img{i:02d}.png").name for i in range(12)]
    ctx = multiprocessing.get_context("fork")
    runs = [
        ctx.Process(target=_predict_class, args=(str(tmp_path), "plane", (2, 8), names)),
        ctx.Process(target=_predict_class, args=(str(tmp_path), "car", (12, 16), names[::-1])),
    ]
    for p in runs:
        p.start()
    for p in runs:
        p.join(120)
        assert p.exitcode == 0
    store = AnnotationStore(tmp_path)
    for name in names:
        labels = sorted(o.label for o in store.load(name).annotation.objects)
        assert labels == ["car", "plane"], name


def test_an_earlier_prediction_of_another_class_keeps_its_pixels(tmp_path: Path) -> None:
    """Overlapping predictions of two classes: the later run paints only free pixels, so it
    never wipes out the other class's object."""
    image = _image(tmp_path)
    store = AnnotationStore(tmp_path)
    save_found(store, image, {"plane": _found(slice(4, 8))}, "sam", (H, W))
    save_found(store, image, {"car": _found(slice(2, 10))}, "sam", (H, W))  # covers it
    loaded = store.load(image.name)
    by_label = {o.label: o.id for o in loaded.annotation.objects}
    assert set(by_label) == {"plane", "car"}
    assert (loaded.instances == by_label["plane"]).sum() == 4 * 8
    assert (loaded.instances == by_label["car"]).sum() == 4 * 8  # rows 2-3 and 8-9
    # a rerun of the same class replaces its own unreviewed predictions
    save_found(store, image, {"car": _found(slice(12, 14))}, "sam", (H, W))
    loaded = store.load(image.name)
    assert sorted(o.label for o in loaded.annotation.objects) == ["car", "plane"]
    assert (loaded.instances > 0).sum() == 4 * 8 + 2 * 8


def test_a_rename_during_a_prediction_is_kept(tmp_path: Path, monkeypatch) -> None:
    """The app renames a class while a prediction of that class (and of another) merges into
    an image: classes.json and the image keep the new name."""
    image = _image(tmp_path)
    store = AnnotationStore(tmp_path)
    save_found(store, image, {"plane": _found(slice(2, 6))}, "sam", (H, W))
    app = AnnotationStore(tmp_path)
    rename = threading.Thread(target=app.rename_class, args=("plane", "aircraft"))
    real_load = AnnotationStore.load

    def load_then_rename(self: AnnotationStore, name: str, **kwargs):
        loaded = real_load(self, name, **kwargs)
        if self is store and rename.ident is None:
            rename.start()
            rename.join(1.0)
        return loaded

    monkeypatch.setattr(AnnotationStore, "load", load_then_rename)
    save_found(store, image, {"car": _found(slice(12, 16))}, "sam", (H, W))
    rename.join(10)
    monkeypatch.undo()
    assert store.load_classes() == ["aircraft", "car"]
    labels = sorted(o.label for o in store.load(image.name).annotation.objects)
    assert labels == ["aircraft", "car"]
    # a run that started before the rename still predicts under the old name: it lands
    # under the new one, and classes.json does not get the old name back
    save_found(store, image, {"plane": _found(slice(2, 6))}, "sam", (H, W))
    assert store.load_classes() == ["aircraft", "car"]
    labels = sorted(o.label for o in store.load(image.name).annotation.objects)
    assert labels == ["aircraft", "car"]
    # a class given the old name again is a new class: it is no longer mapped
    store.add_classes(["plane"])
    save_found(store, image, {"plane": _found(slice(20, 22))}, "sam", (H, W))
    labels = sorted(o.label for o in store.load(image.name).annotation.objects)
    assert labels == ["aircraft", "car", "plane"]


def test_the_ledger_forgets_an_image_whose_annotation_changed(tmp_path: Path) -> None:
    """A done-marker counts only while the annotation it recorded is unchanged: an image
    the user cleared (or another run rewrote) after a --ray run is done again by a rerun."""
    image = _image(tmp_path)
    store = AnnotationStore(tmp_path)
    ledger = RunLedger.for_run(store.dir, run_key({"model": "m"}))
    outcomes = save_found(store, image, {"plane": _found(slice(2, 8))}, "sam", (H, W))
    ledger.record(image, outcomes, store)
    assert ledger.finished(image, store) == outcomes
    assert ledger.all_finished([image], store) == {image.name: outcomes}
    store.delete(image.name)  # the user cleared it in the app
    assert ledger.finished(image, store) is None
    assert ledger.all_finished([image], store) == {}
    # an image with nothing found is finished while it stays without an annotation ...
    empty = [ImageOutcome(image.name, "empty")]
    ledger.record(image, empty, store)
    assert ledger.finished(image, store) == empty
    # ... and done again once someone wrote one
    save_found(store, image, {"car": _found(slice(12, 16))}, "sam", (H, W))
    assert ledger.finished(image, store) is None


def test_an_editor_save_keeps_what_a_prediction_added_while_the_image_was_open(
    tmp_path: Path,
) -> None:
    """The app opened the image (no annotation yet), a prediction run saved objects into it,
    then the user saves a hand-made object: both are on disk; objects the user deleted stay
    deleted."""
    from samic_core.annotation.merge import base_of

    image = _image(tmp_path)
    store = AnnotationStore(tmp_path)
    base = base_of(None)  # what the app loaded: nothing
    save_found(store, image, {"plane": _found(slice(2, 8))}, "sam", (H, W))  # meanwhile
    inst = np.zeros((H, W), np.uint16)
    inst[4:22, 20:28] = 1  # the user's object, beside the predicted one
    inst[5, 5] = 1  # one of its pixels lies inside the predicted object
    manual = AnnotatedObject(id=1, label="car", points=[Point(x=22, y=10)], source="manual")
    ann = ImageAnnotation(image=image.name, image_sha256=store.image_sha256(image), width=W,
                          height=H, objects=[manual])  # fmt: skip
    saved, kept = store.save_keeping(ann, inst, base)
    assert [o.label for o in kept] == ["plane"]
    labels = [(o.id, o.label) for o in saved.annotation.objects]
    assert labels == [(1, "car"), (2, "plane")]
    assert saved.instances[5, 5] == 1  # the user's pixels win
    assert (saved.instances == 2).sum() == 6 * 8 - 1
    # the user deletes the predicted object and saves again: it stays deleted
    base = base_of(saved.annotation)
    ann2 = saved.annotation.model_copy(update={"objects": [saved.annotation.objects[0]]})
    again, kept2 = store.save_keeping(ann2, saved.instances * (saved.instances == 1), base)
    assert kept2 == [] and [o.label for o in again.annotation.objects] == ["car"]
