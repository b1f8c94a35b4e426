"""Helpers of the SAMIC-in-the-app tests (test modules import these; fixtures are in conftest)."""

from __future__ import annotations

from pathlib import Path

import cv2

from samic_core.annotation import AnnotatedObject, AnnotationStore, ImageAnnotation, Point
from samic_core.annotation.masks import instances_from_masks
from samic_core.fileio import sha256_file
from samic_core.testing.samic_task import TARGET_LABEL, SyntheticImage, make_synthetic_image

TINY_SIZE = 64  # SAMIC input size: the smallest the model allows
WAIT_MS = 60_000
IMAGE_PX = 64  # synthetic images are IMAGE_PX x IMAGE_PX


def add_unannotated(folder: Path, names: list[str], seed: int = 7) -> list[SyntheticImage]:
    """Write synthetic images without annotations (the ones auto-annotate should fill)."""
    out = []
    for i, name in enumerate(names):
        im = make_synthetic_image(IMAGE_PX, seed * 1000 + i)
        cv2.imwrite(str(folder / name), cv2.cvtColor(im.rgb, cv2.COLOR_RGB2BGR))
        out.append(im)
    return out


def write_predicted(folder: Path, name: str, im: SyntheticImage, scores: list[float]) -> None:
    """A predicted, unreviewed annotation of `name`: one object per target, these SAM scores."""
    store = AnnotationStore(folder)
    objects = [
        AnnotatedObject(
            id=k + 1,
            label=TARGET_LABEL,
            points=[Point(x=float(x), y=float(y))],
            score=score,
            source="predicted",
            reviewed=False,
        )
        for k, ((x, y), score) in enumerate(zip(im.points, scores, strict=False))
    ]
    ann = ImageAnnotation(
        image=name,
        image_sha256=sha256_file(folder / name),
        width=IMAGE_PX,
        height=IMAGE_PX,
        objects=objects,
    )
    masks = [(k + 1, m) for k, m in enumerate(im.masks[: len(objects)])]
    store.save(ann, instances_from_masks(masks, (IMAGE_PX, IMAGE_PX)))


def open_window(qtbot, settings, folder: Path):
    """The real app window (build_window) with the tiny SAM loaded and `folder` open."""
    from sambox.app import build_window

    window = build_window(settings)
    qtbot.addWidget(window)
    window.resize(1100, 750)
    window.show()
    with qtbot.waitSignal(window.service.engine_ready, timeout=WAIT_MS):
        window.session.start_engine()
    window.session.open_folder(folder)
    return window
