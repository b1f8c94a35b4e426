"""SAMIC screenshots (called by scripts/screenshots.py): the Train SAMIC dialog with its live loss
plot after a short real training run, and the review mode of the main window.

No real weights exist here: the SAMIC backbone is random (`none`, as the dialog says) and SAM is
the tiny random checkpoint, so the predicted masks shown in review mode are the scene's drawn
shapes, saved in exactly the form auto-annotate writes (source "predicted", not reviewed).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDockWidget
from screenshot_window import open_window, spin

from samic_core.annotation import AnnotatedObject, AnnotationStore, ImageAnnotation, Point

SHIFTS = (0, 131, 262, 393, 524, 655, 786, 917)  # px: each image is the scene rolled sideways
MANUAL = 4  # the first images are annotated by hand; the next two are predictions to review


def _centre(mask: np.ndarray) -> tuple[float, float]:
    ys, xs = np.nonzero(mask)
    return float(xs.mean()), float(ys.mean())


def write_leaf_survey(folder: Path, scene: Callable[[int], tuple[np.ndarray, list[np.ndarray]]]):
    """8 views of the leaf scene: 4 annotated by hand, 2 predicted (to review), 2 not started."""
    img, masks = scene(0)
    folder.mkdir(parents=True, exist_ok=True)
    store = AnnotationStore(folder)
    store.save_classes(["leaf", "ring"])
    scores = {MANUAL: (0.93, 0.71), MANUAL + 1: (0.88, 0.84)}
    for i, shift in enumerate(SHIFTS):
        name = f"leaf_{i + 1:03d}.jpg"
        cv2.imwrite(str(folder / name), np.roll(img, shift, axis=1)[:, :, ::-1])
        if i >= MANUAL + 2:
            continue
        rolled = [np.roll(m, shift, axis=1) for m in masks]
        predicted = i >= MANUAL
        objects, instances = [], np.zeros(img.shape[:2], np.uint16)
        for k, m in enumerate(rolled[:2] if predicted else rolled):
            x, y = _centre(m)
            objects.append(
                AnnotatedObject(
                    id=k + 1,
                    label="ring" if k == 2 else "leaf",
                    points=[Point(x=x, y=y)],
                    score=scores[i][k] if predicted else 0.97,
                    source="predicted" if predicted else "manual",
                    reviewed=not predicted,
                )
            )
            instances[m] = k + 1
        if predicted:  # the ring was annotated by hand on this image
            x, y = _centre(rolled[2])
            objects.append(
                AnnotatedObject(id=3, label="ring", points=[Point(x=x, y=y - 60)], score=0.96)
            )
            instances[rolled[2]] = 3
        ann = ImageAnnotation(
            image=name,
            image_sha256=store.image_sha256(folder / name),
            width=img.shape[1],
            height=img.shape[0],
            objects=objects,
            done=not predicted,
        )
        store.save(ann, instances)


def render_samic(
    app: QApplication,
    tmp_path: Path,
    checkpoint: Path,
    out: Path,
    scene: Callable[[int], tuple[np.ndarray, list[np.ndarray]]],
) -> None:
    folder = tmp_path / "leaf_survey"
    write_leaf_survey(folder, scene)
    win = open_window(app, tmp_path / "samic.ini", checkpoint, folder)

    # the Train SAMIC dialog after a short real run (random backbone: no weights here)
    dialog = win.samic.open_train_dialog()
    spin(app, lambda: dialog.table.rowCount() > 0, timeout=300)
    dialog.name.setText("leaves-v1")
    dialog.image_size.setCurrentIndex(dialog.image_size.findData(128))
    dialog.set_weights("none")
    dialog.epochs.setValue(60)
    dialog.patience.setValue(60)
    done: list[object] = []
    win.samic.samic.train_finished.connect(done.append)
    dialog.start()
    spin(
        app, lambda: len(dialog.run.plot.epochs) >= 24, timeout=300
    )  # mid-run: live epoch, losses, time left
    app.processEvents()
    dialog.grab().save(str(out / "train_dialog.png"))
    print(f"wrote {out / 'train_dialog.png'}")
    dialog.stop()  # Stop keeps the best epoch so far as the model
    spin(app, lambda: bool(done), timeout=300)
    dialog.close()

    # review mode: least certain first, a predicted image open beside a manual object
    win.samic.order_action.setChecked(True)
    win.session.open_image(f"leaf_{MANUAL + 1:03d}.jpg")
    win.editor.select_object(2)
    images = win.findChild(QDockWidget, "dock_images")
    win.resizeDocks([images], [380], Qt.Orientation.Horizontal)  # room for name + status
    app.processEvents()
    win.canvas.fit()
    app.processEvents()
    win.grab().save(str(out / "review_mode.png"))
    print(f"wrote {out / 'review_mode.png'}")
    win.close()
