"""YOLO segmentation: one normalised polygon per object per line, images/, labels/, data.yaml.

Ultralytics rasterises a label polygon with `cv2.fillPoly` on the coordinates times the image
size, truncated to int32 (`ultralytics.data.utils.polygon2mask`), and `read_yolo_labels` reads
it the same way. An object is written as its outlines through the boundary pixel centres
(x = column + 0.5 in the pixel-edge convention, which truncates back to the column) joined by
zero-width bridges: fillPoly gives back exactly an object of one part, with or without holes.
Bridges between separate parts cross background, which fillPoly fills along a one-pixel line
(YOLO has no exact form for several parts); the candidate closest to the mask is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import cv2
import numpy as np
import yaml

from samic_core.errors import AnnotationError
from samic_core.export.common import ExportItem, ExportReport, copy_image
from samic_core.export.geometry import Ring, bridge_rings, mask_to_rings

IMAGES_DIRNAME = "images"
LABELS_DIRNAME = "labels"
DATA_YAML = "data.yaml"


def fill_like_ultralytics(xy: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """bool (H, W) of normalised (N, 2) xy as Ultralytics' polygon2mask fills it."""
    h, w = size
    scale = np.array([w, h], np.float32)
    pts = (np.asarray(xy, np.float32).reshape(-1, 2) * scale).astype(np.int32)
    out = np.zeros(size, np.uint8)
    cv2.fillPoly(out, [pts], 1)
    return out.astype(bool)


def _fmt(poly: np.ndarray, size: tuple[int, int]) -> list[str]:
    h, w = size
    return [f"{v:.6f}" for v in (poly / np.array([w, h], np.float64)).ravel()]


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.count_nonzero(a | b)
    return np.count_nonzero(a & b) / union if union else 1.0


def yolo_line(class_index: int, mask: np.ndarray) -> str:
    """`cls x1 y1 x2 y2 ...` for one object, xy divided by the image width / height.

    Of two candidates, the one Ultralytics fills back closest to the mask is written: the
    outlines through the boundary pixel centres, bridged (exact for one part, holes or not),
    and the pixel-edge outlines, bridged (exact under the pixel-centre rule).
    """
    mask = np.asarray(mask, bool)
    candidates = [_fmt(bridge_rings(mask_to_rings(mask)), mask.shape)]
    contours, hierarchy = cv2.findContours(
        mask.astype(np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE
    )
    if contours and hierarchy is not None:
        rings = [
            Ring(c.reshape(-1, 2) + 0.5, hole=bool(hierarchy[0][k][3] >= 0))
            for k, c in enumerate(contours)
        ]
        poly = bridge_rings(rings)
        if len(poly) < 3:  # a line of pixels: YOLO wants 3+ points, a repeated one is harmless
            poly = np.concatenate([poly, poly[-1:].repeat(3 - len(poly), 0)])
        candidates.insert(0, _fmt(poly, mask.shape))
    best = max(
        candidates,
        key=lambda v: _iou(fill_like_ultralytics(np.array(v, float), mask.shape), mask),
    )
    return " ".join([str(class_index), *best])


def read_yolo_labels(path: Path, size: tuple[int, int]) -> list[tuple[int, np.ndarray]]:
    """[(class index, bool (H, W) mask)] of a YOLO segmentation label file, as Ultralytics
    rasterises it (`fill_like_ultralytics`)."""
    h, w = size
    out = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split()
        try:
            cls = int(parts[0])
            xy = np.array([float(v) for v in parts[1:]], np.float64)
        except ValueError:
            raise AnnotationError(path, f"line {n}: not numbers") from None
        if len(xy) < 6 or len(xy) % 2:
            raise AnnotationError(path, f"line {n}: a polygon needs an even count >= 6 of values")
        out.append((cls, fill_like_ultralytics(xy, size)))
    return out


class YoloWriter:
    """images/<file>, labels/<stem>.txt (empty for an image without objects), data.yaml.

    Ultralytics pairs images/X.ext with labels/X.txt, so where stems collide (a.jpg, a.png) the
    image is copied as images/a.png.png beside labels/a.png.txt (ExportItem.paired_name).
    """

    # what the format is, in one line: the app's format list and `samic export --help`
    description: ClassVar[str] = "YOLO segmentation (polygon .txt per image + data.yaml)"

    def __init__(self, out: Path, classes: list[str], report: ExportReport) -> None:
        self.out = out
        self.classes = classes
        self.class_index = {name: i for i, name in enumerate(classes)}

    def add(self, item: ExportItem) -> None:
        copy_image(item.image_path, self.out / IMAGES_DIRNAME, item.paired_name)
        lines = [yolo_line(self.class_index[eo.obj.label], eo.mask) for eo in item.objects]
        label = self.out / LABELS_DIRNAME / f"{item.stem}.txt"
        label.parent.mkdir(parents=True, exist_ok=True)
        label.write_text("".join(s + "\n" for s in lines), encoding="utf-8")

    def finish(self) -> None:
        (self.out / IMAGES_DIRNAME).mkdir(exist_ok=True)
        (self.out / LABELS_DIRNAME).mkdir(exist_ok=True)
        # No `path:` key: Ultralytics then resolves train/val against this file's folder.
        data = {
            "train": IMAGES_DIRNAME,
            "val": IMAGES_DIRNAME,
            "nc": len(self.classes),
            "names": dict(enumerate(self.classes)),
        }
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        (self.out / DATA_YAML).write_text(text, encoding="utf-8")
