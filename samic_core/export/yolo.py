"""YOLO segmentation: one normalised polygon per object per line, images/, labels/, data.yaml."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from samic_core.errors import AnnotationError
from samic_core.export.common import ExportItem, ExportReport, copy_image
from samic_core.export.geometry import bridge_rings, mask_to_rings, polygon_to_mask

IMAGES_DIRNAME = "images"
LABELS_DIRNAME = "labels"
DATA_YAML = "data.yaml"


def yolo_line(class_index: int, mask: np.ndarray) -> str:
    """`cls x1 y1 x2 y2 ...` for one object, xy divided by the image width / height.

    Parts and holes are joined into the single polygon YOLO allows by zero-width bridges.
    """
    h, w = mask.shape
    poly = bridge_rings(mask_to_rings(mask)) / np.array([w, h], np.float64)
    return " ".join([str(class_index), *(f"{v:.6f}" for v in poly.ravel())])


def read_yolo_labels(path: Path, size: tuple[int, int]) -> list[tuple[int, np.ndarray]]:
    """[(class index, bool (H, W) mask)] of a YOLO segmentation label file."""
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
        out.append((cls, polygon_to_mask([xy.reshape(-1, 2) * (w, h)], size)))
    return out


class YoloWriter:
    """images/<file>, labels/<stem>.txt (empty for an image without objects), data.yaml."""

    def __init__(self, out: Path, classes: list[str], report: ExportReport) -> None:
        self.out = out
        self.classes = classes
        self.class_index = {name: i for i, name in enumerate(classes)}

    def add(self, item: ExportItem) -> None:
        copy_image(item.image_path, self.out / IMAGES_DIRNAME)
        lines = [yolo_line(self.class_index[eo.obj.label], eo.mask) for eo in item.objects]
        label = self.out / LABELS_DIRNAME / f"{item.image_path.stem}.txt"
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
