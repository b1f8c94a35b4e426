"""An annotated image folder built with AnnotationStore: holes, parts, overlaps, predictions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from samic_core.annotation import AnnotatedObject, AnnotationStore, ImageAnnotation
from samic_core.annotation.masks import instances_from_masks
from samic_core.testing import make_blob_image

CLASSES = ["cat", "dog", "bird"]


@dataclass
class Annotated:
    folder: Path
    store: AnnotationStore

    def object_masks(self, image: str, include_unreviewed: bool = False) -> dict[int, np.ndarray]:
        """{object id: bool mask} the export should contain for `image`."""
        loaded = self.store.load(image)
        return {
            o.id: loaded.instances == o.id
            for o in loaded.annotation.objects
            if include_unreviewed or o.source == "manual" or o.reviewed
        }


def disk(shape: tuple[int, int], cx: int, cy: int, r: int) -> np.ndarray:
    m = np.zeros(shape, np.uint8)
    cv2.circle(m, (cx, cy), r, 1, -1)
    return m.astype(bool)


def write_rgb(path: Path, rgb: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))


def save(store: AnnotationStore, name: str, objects: list[tuple[AnnotatedObject, np.ndarray]]):
    h, w = cv2.imread(str(store.image_folder / name)).shape[:2]
    ann = ImageAnnotation(
        image=name,
        image_sha256=store.image_sha256(store.image_folder / name),
        width=w,
        height=h,
        objects=[o for o, _ in objects],
        done=True,
    )
    store.save(ann, instances_from_masks([(o.id, m) for o, m in objects], (h, w)))


def build_annotated_folder(folder: Path) -> Annotated:
    """a.png: disk, ring with a hole, two-part object, overlap, reviewed and unreviewed
    predictions; b.png (portrait): ring with an island, diagonal pixels, a rectangle;
    c.png: annotated, no objects; d.png: only an unreviewed prediction; e.png: not annotated."""
    write_rgb(folder / "a.png", make_blob_image(120, 160, [(40, 60, 20)], 1))
    write_rgb(folder / "b.png", make_blob_image(150, 100, [(50, 70, 25)], 2))
    write_rgb(folder / "c.png", make_blob_image(80, 80, None, 3))
    write_rgb(folder / "d.png", make_blob_image(80, 100, None, 4))
    write_rgb(folder / "e.png", make_blob_image(60, 60, None, 5))
    store = AnnotationStore(folder)
    store.save_classes(CLASSES)

    s = (120, 160)
    ring = disk(s, 110, 40, 22) & ~disk(s, 110, 40, 9)
    two_parts = disk(s, 20, 100, 10) | disk(s, 60, 105, 8)
    save(
        store,
        "a.png",
        [
            (AnnotatedObject(id=1, label="cat"), disk(s, 40, 60, 20)),
            (AnnotatedObject(id=2, label="dog"), ring),
            (AnnotatedObject(id=3, label="cat"), two_parts),
            # overlaps object 1; painted later, so it wins the shared pixels
            (AnnotatedObject(id=4, label="bird"), disk(s, 55, 45, 10)),
            (
                AnnotatedObject(id=5, label="dog", source="predicted", reviewed=False, score=0.9),
                disk(s, 130, 100, 12),
            ),
            (
                AnnotatedObject(id=6, label="bird", source="predicted", reviewed=True, score=0.8),
                disk(s, 95, 100, 9),
            ),
        ],
    )
    s = (150, 100)
    island = (disk(s, 50, 50, 30) & ~disk(s, 50, 50, 18)) | disk(s, 50, 50, 6)
    diagonal = np.zeros(s, bool)
    diagonal[120, 10] = diagonal[121, 11] = diagonal[122, 12] = True
    rect = np.zeros(s, bool)
    rect[100:140, 40:90] = True
    save(
        store,
        "b.png",
        [
            (AnnotatedObject(id=1, label="dog"), island),
            (AnnotatedObject(id=2, label="bird"), diagonal),
            (AnnotatedObject(id=7, label="cat"), rect),
        ],
    )
    save(store, "c.png", [])
    save(
        store,
        "d.png",
        [
            (
                AnnotatedObject(id=1, label="cat", source="predicted", reviewed=False),
                disk((80, 100), 50, 40, 15),
            )
        ],
    )
    return Annotated(folder, store)
