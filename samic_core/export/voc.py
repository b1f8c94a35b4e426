"""Pascal VOC segmentation: indexed-colour class and object PNGs with the standard palette."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np
from PIL import Image

from samic_core.export.common import ExportItem, ExportReport, copy_image

IMAGES_DIRNAME = "JPEGImages"  # VOC's name, whatever the image format
CLASS_DIRNAME = "SegmentationClass"
OBJECT_DIRNAME = "SegmentationObject"
CLASS_LIST = "class_names.txt"  # line k = the class of pixel value k; line 0 is background
LABELMAP = "labelmap.txt"  # the same with colours, in the CVAT / Datumaro layout
IMAGE_SET = Path("ImageSets") / "Segmentation" / "default.txt"


def voc_palette(n: int = 256) -> np.ndarray:
    """The standard Pascal VOC colour map, (n, 3) uint8: 0 black, 1 (128, 0, 0), 2 (0, 128, 0)..."""
    palette = np.zeros((n, 3), np.uint8)
    for k in range(n):
        c, r, g, b = k, 0, 0, 0
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        palette[k] = (r, g, b)
    return palette


def write_indexed_png(path: Path, index: np.ndarray) -> None:
    """Save a uint8 (H, W) index map as a palette ('P' mode) PNG with the VOC colours."""
    im = Image.fromarray(index.astype(np.uint8), mode="P")
    im.putpalette(voc_palette().ravel().tolist())
    path.parent.mkdir(parents=True, exist_ok=True)
    im.save(path, format="PNG")


def read_indexed_png(path: Path) -> np.ndarray:
    """The uint8 (H, W) palette indices of an indexed PNG (not its colours)."""
    with Image.open(path) as im:
        if im.mode != "P":
            raise ValueError(f"{path}: expected an indexed ('P' mode) PNG, got {im.mode}")
        return np.asarray(im, np.uint8)


class VocWriter:
    """SegmentationClass/<id>.png (class index), SegmentationObject/<id>.png (object 1..n).

    The id is the image's stem, or its full name where stems collide (a.jpg, a.png); the image
    is copied as JPEGImages/<id><extension> (ExportItem.paired_name) so readers pair by id.
    """

    # what the format is, in one line: the app's format list and `samic export --help`
    description: ClassVar[str] = "Pascal VOC class masks (indexed PNG) + class list"

    def __init__(self, out: Path, classes: list[str], report: ExportReport) -> None:
        self.out = out
        self.classes = classes
        self.class_index = {name: i + 1 for i, name in enumerate(classes)}
        self.stems: list[str] = []

    def add(self, item: ExportItem) -> None:
        if len(item.objects) > 255:
            raise ValueError(f"{item.image_path.name}: VOC object masks hold at most 255 objects")
        copy_image(item.image_path, self.out / IMAGES_DIRNAME, item.paired_name)
        stem = item.stem
        semantic = np.zeros(item.size, np.uint8)
        objects = np.zeros(item.size, np.uint8)
        for k, eo in enumerate(item.objects):
            semantic[eo.mask] = self.class_index[eo.obj.label]
            objects[eo.mask] = k + 1
        write_indexed_png(self.out / CLASS_DIRNAME / f"{stem}.png", semantic)
        write_indexed_png(self.out / OBJECT_DIRNAME / f"{stem}.png", objects)
        self.stems.append(stem)

    def finish(self) -> None:
        names = ["background", *self.classes]
        (self.out / CLASS_LIST).write_text("\n".join(names) + "\n", encoding="utf-8")
        palette = voc_palette()
        lines = ["# label:color_rgb:parts:actions"]
        lines += [f"{n}:{','.join(str(int(v)) for v in palette[i])}::" for i, n in enumerate(names)]
        (self.out / LABELMAP).write_text("\n".join(lines) + "\n", encoding="utf-8")
        (self.out / IMAGE_SET).parent.mkdir(parents=True, exist_ok=True)
        (self.out / IMAGE_SET).write_text("".join(s + "\n" for s in self.stems), encoding="utf-8")
