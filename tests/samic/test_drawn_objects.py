"""Objects drawn by hand (polygon, brush, box only) have a mask but no click: SAMIC still learns
from them, at the deepest point of the mask (the largest piece's distance-transform maximum)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from scipy import ndimage

from samic_core.annotation import AnnotatedObject, AnnotationStore, ImageAnnotation, Point
from samic_core.annotation.mask_points import deepest_point
from samic_core.fileio import sha256_file
from samic_core.predict.references import select_references
from samic_core.testing import make_blob_image
from samic_core.train.episodes import count_left_out, count_training_data, scan_folder

H, W = 96, 128


def _depth(mask: np.ndarray) -> np.ndarray:
    """Euclidean distance of each mask pixel to the nearest pixel outside it (or the border)."""
    return ndimage.distance_transform_edt(np.pad(mask, 1))[1:-1, 1:-1]


def _polygon(vertices: list[tuple[int, int]]) -> np.ndarray:
    m = np.zeros((H, W), np.uint8)
    cv2.fillPoly(m, [np.asarray(vertices, np.int32).reshape(-1, 1, 2)], 1)
    return m.astype(bool)


def _save(folder: Path, name: str, objects: list[tuple[AnnotatedObject, np.ndarray | None]]):
    """Write a blobs image `name` and its annotation: (object, its mask or None) pairs."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    cv2.imwrite(str(path), make_blob_image(H, W, [(30, 30, 10)], seed=len(objects)))
    instances = np.zeros((H, W), np.uint16)
    for obj, mask in objects:
        if mask is not None:
            instances[mask] = obj.id
    ann = ImageAnnotation(
        image=name,
        image_sha256=sha256_file(path),
        width=W,
        height=H,
        objects=[o for o, _ in objects],
    )
    AnnotationStore(folder).save(ann, instances)


def test_deepest_point_is_inside_at_the_maximum_depth() -> None:
    mask = _polygon([(10, 10), (110, 10), (110, 40), (40, 40), (40, 85), (10, 85)])  # an L
    x, y = deepest_point(mask)
    assert float(x).is_integer() and float(y).is_integer()
    depth = _depth(mask)
    assert mask[int(y), int(x)]
    assert depth[int(y), int(x)] == depth.max()
    # the image border is an edge too, and of a ridge of equal depth the middle is taken
    x, y = deepest_point(np.ones((21, 31), bool))
    assert (x, y) == (15.0, 10.0)
    assert deepest_point(np.zeros((H, W), bool)) is None


def test_a_mask_in_two_pieces_uses_the_larger_piece() -> None:
    # a long thin bar (large, shallow) and a disc (small, deep): the point goes on the bar
    mask = np.zeros((H, W), np.uint8)
    cv2.rectangle(mask, (5, 80), (120, 90), 1, -1)  # 116 x 11 = 1276 pixels, depth 6
    cv2.circle(mask, (60, 35), 18, 1, -1)  # about 1000 pixels, depth 18
    bar = np.zeros((H, W), bool)
    bar[80:91, 5:121] = True
    assert bar.sum() > (mask.astype(bool) & ~bar).sum()
    x, y = deepest_point(mask.astype(bool))
    assert bar[int(y), int(x)]
    assert _depth(bar)[int(y), int(x)] == _depth(bar).max()


def test_a_polygon_only_object_trains_like_a_clicked_one(tmp_path: Path) -> None:
    folder = tmp_path / "images"
    clicked = np.zeros((H, W), bool)
    clicked[20:40, 20:40] = True
    drawn = _polygon([(60, 20), (110, 20), (110, 70), (60, 70)])
    click = AnnotatedObject(id=1, label="cell", points=[Point(x=30, y=30)])
    _save(folder, "a.png", [(click, clicked)])
    _save(folder, "b.png", [(AnnotatedObject(id=1, label="cell", edited=True), drawn)])
    images = {im.name: im for im in scan_folder(folder)}
    assert sorted(images) == ["a.png", "b.png"]
    np.testing.assert_allclose(images["a.png"].points["cell"], [[30, 30]])
    (x, y), *rest = images["b.png"].points["cell"]
    assert not rest and drawn[int(y), int(x)]
    assert _depth(drawn)[int(y), int(x)] == _depth(drawn).max()
    np.testing.assert_allclose(images["b.png"].sites["cell"][0, :2], [x, y])
    assert count_training_data(folder) == {"cell": (2, 2)}
    assert count_left_out(folder) == {}
    # references for prediction follow the same rule
    refs = {p.name: pts for p, pts in select_references(AnnotationStore(folder), "cell", k=5)}
    np.testing.assert_allclose(refs["b.png"], [[x, y]])


def test_an_object_with_neither_click_nor_mask_is_left_out_and_counted(tmp_path: Path) -> None:
    folder = tmp_path / "images"
    mask = np.zeros((H, W), bool)
    mask[20:40, 20:40] = True
    boxed = AnnotatedObject(id=2, label="cell", box=[60, 20, 90, 50])  # its mask is gone
    negative = AnnotatedObject(id=3, label="cell", points=[Point(x=70, y=70, positive=False)])
    negative_mask = _polygon([(60, 60), (90, 60), (90, 90), (60, 90)])
    click = AnnotatedObject(id=1, label="cell", points=[Point(x=30, y=30)])
    _save(folder, "a.png", [(click, mask), (boxed, None), (negative, negative_mask)])
    (image,) = scan_folder(folder)
    assert image.objects == {"cell": 2}  # the click, and the negative-only object's mask
    assert count_left_out(folder) == {"cell": 1}
