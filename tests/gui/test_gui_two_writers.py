"""The app and a prediction run meet on the open image: the user's save keeps both."""

from __future__ import annotations

import numpy as np
from gui_helpers import click, key, make_window, open_folder, start_engine

from samic_core.annotation import AnnotationStore
from samic_core.predict.saving import save_found
from samic_core.sam.types import MaskResult


def test_saving_the_open_image_keeps_objects_a_prediction_wrote_meanwhile(
    qtbot, settings, image_folder
):
    w = make_window(qtbot, settings)
    start_engine(qtbot, w)
    open_folder(qtbot, w, image_folder)
    doc = w.editor.doc
    assert doc.name == "a.png" and not doc.objects
    # a `samic predict` run saves a predicted object into the image the user has open
    h, w_ = doc.shape
    mask = np.zeros((h, w_), bool)
    mask[:10, :10] = True
    found = [
        (np.array([[4.0, 4.0]]), MaskResult(mask, 0.8, np.zeros((1, 256, 256)), 0, np.ones(3)))
    ]
    store = AnnotationStore(image_folder)
    outcome = save_found(store, image_folder / "a.png", {"predicted": found}, "sam", (h, w_))
    assert outcome[0].status == "written"
    click(qtbot, w, 200, 200)  # the user's object
    key(qtbot, w, "Ctrl+S")
    saved = store.load("a.png").annotation
    assert sorted((o.label, o.source) for o in saved.objects) == [
        ("object", "manual"),
        ("predicted", "predicted"),
    ]
    assert {o.label for o in w.editor.doc.objects} == {"object", "predicted"}  # shown too
    # deleting it in the app and saving again removes it for good
    w.editor.select_object(next(o.id for o in w.editor.doc.objects if o.label == "predicted"))
    key(qtbot, w, "Delete")
    key(qtbot, w, "Ctrl+S")
    assert [o.label for o in store.load("a.png").annotation.objects] == ["object"]
    w.close()
