"""Render the SAMBOX main window offscreen to docs/screenshots/*.png (`make screenshots`).

No real SAM weights exist here, and a random SAM draws noise, so the sample image's masks are
its drawn shapes, saved as an ordinary annotation and reopened by the app (the same path as
reopening your own work); the confidence history shown is set to a typical rising curve.
The engine itself is the real SamEngine on a tiny random checkpoint.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from samic_core.annotation import AnnotatedObject, AnnotationStore, ImageAnnotation, Point  # noqa: E402
from samic_core.testing import make_tiny_sam_checkpoint  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from screenshot_window import open_window  # noqa: E402
from screenshots_samic import render_samic  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


def sample_scene(seed: int = 0) -> tuple[np.ndarray, list[np.ndarray]]:
    """A 960x640 RGB 'leaves on soil' scene and the masks of its two leaves and a ring."""
    rng = np.random.default_rng(seed)
    h, w = 640, 960
    y, x = np.mgrid[0:h, 0:w]
    soil = np.stack([110 + 30 * x / w, 85 + 20 * y / h, 60 + 10 * x / w], -1)
    soil += rng.normal(0, 3, (h, w, 3))
    img = np.clip(soil, 0, 255).astype(np.uint8)
    masks = []
    for cx, cy, ax, ay, ang, col in [
        (300, 330, 170, 80, -25, (70, 150, 60)),
        (640, 250, 140, 70, 35, (95, 170, 70)),
    ]:
        m = np.zeros((h, w), np.uint8)
        cv2.ellipse(m, (cx, cy), (ax, ay), ang, 0, 360, 1, -1)
        shade = np.array(col, np.float32) + rng.normal(0, 2, (h, w, 1))
        img[m > 0] = np.clip(shade[m > 0], 0, 255).astype(np.uint8)
        cv2.line(img, (cx - int(ax * 0.8), cy), (cx + int(ax * 0.8), cy), (150, 200, 120), 2)
        masks.append(m > 0)
    ring = np.zeros((h, w), np.uint8)
    cv2.circle(ring, (700, 480), 85, 1, -1)
    cv2.circle(ring, (700, 480), 40, 0, -1)  # a hole that must stay a hole
    img[ring > 0] = (200, 170, 60)
    masks.append(ring > 0)
    return img, masks


def write_sample(folder: Path) -> None:
    img, masks = sample_scene()
    folder.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(folder / "field_001.jpg"), img[:, :, ::-1])
    for i in (2, 3, 4):
        other = np.roll(img, 97 * i, axis=1)
        cv2.imwrite(str(folder / f"field_00{i}.jpg"), other[:, :, ::-1])
    store = AnnotationStore(folder)
    store.save_classes(["leaf", "ring", "stone"])
    prompts = [
        ([(220, 360, True), (300, 330, True), (390, 300, True), (300, 430, False)], 0.974),
        ([(600, 270, True), (690, 220, True), (640, 330, False)], 0.951),
        ([(700, 410, True), (700, 480, False), (630, 500, True)], 0.962),
    ]
    objects = [
        AnnotatedObject(
            id=i + 1,
            label="ring" if i == 2 else "leaf",
            points=[Point(x=x, y=y, positive=p) for x, y, p in pts],
            score=score,
        )
        for i, (pts, score) in enumerate(prompts)
    ]
    instances = np.zeros(img.shape[:2], np.uint16)
    for i, m in enumerate(masks):
        instances[m] = i + 1
    ann = ImageAnnotation(
        image="field_001.jpg",
        image_sha256=store.image_sha256(folder / "field_001.jpg"),
        width=img.shape[1],
        height=img.shape[0],
        objects=objects,
    )
    store.save(ann, instances)
    done = ImageAnnotation(
        image="field_002.jpg",
        image_sha256=store.image_sha256(folder / "field_002.jpg"),
        width=img.shape[1],
        height=img.shape[0],
        done=True,
    )
    store.save(done, np.zeros(img.shape[:2], np.uint16))


def main() -> int:
    from sambox.app import build_window
    from sambox.settings import AppSettings
    from sambox.widgets.dialogs import ShortcutsDialog

    app = QApplication.instance() or QApplication(sys.argv[:1])
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        os.environ["SAMIC_HOME"] = str(tmp_path / "home")
        folder = tmp_path / "field_survey"
        write_sample(folder)
        checkpoint = make_tiny_sam_checkpoint(tmp_path / "tiny_sam.pth")
        win = open_window(app, tmp_path / "s.ini", checkpoint, folder)
        doc = win.editor.doc
        typical = {1: (0.62, 0.88, 0.974), 2: (0.71, 0.93, 0.951), 3: (0.55, 0.90, 0.962)}
        objs = tuple(replace(o, history=typical[o.id]) for o in doc.objects)
        doc.state = replace(doc.state, objects=objs, current_id=3)
        win.editor.active_label = "ring"
        win.editor.changed.emit()
        win.canvas.fit()
        app.processEvents()
        win.grab().save(str(OUT / "main_window.png"))
        print(f"wrote {OUT / 'main_window.png'}")

        dialog = ShortcutsDialog(win)
        dialog.show()
        app.processEvents()
        dialog.grab().save(str(OUT / "shortcuts.png"))
        dialog.close()
        win.close()

        render_samic(app, tmp_path, checkpoint, OUT, sample_scene)

        bare = build_window(AppSettings.from_file(tmp_path / "bare.ini"))
        bare.resize(1200, 760)
        bare.show()
        bare.session.start_engine()
        bare.session.open_folder(folder)
        bare.session.open_image("field_003.jpg")
        app.processEvents()
        bare.grab().save(str(OUT / "no_checkpoint.png"))
        print(f"wrote {OUT / 'no_checkpoint.png'}")
        bare.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
