"""DAVIS layout for a clip: what `samic eval --format davis` (and the DAVIS tools) read.

OUT/JPEGImages/480p/<clip>/<frame>.jpg (the frames, JPEG), OUT/Annotations/480p/<clip>/<frame>.png
(indexed PNG, DAVIS's palette: pixel value = the object's id, which is its track id on every
frame; 0 = background), ImageSets/2017/val.txt naming the clip. Every frame of the clip gets an
annotation PNG (empty where nothing was exported), as DAVIS has one per frame. The clip's name
is its folder's (a video's `walk.mp4.frames` is `walk_mp4`). Ids above 255 do not fit the
format and are refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import cv2
import numpy as np

from samic_core.annotation.layout import FRAMES_SUFFIX
from samic_core.errors import FileProblem
from samic_core.export.common import ExportItem, ExportReport
from samic_core.export.voc import write_indexed_png
from samic_core.fileio import list_images, read_image_rgb

RESOLUTION = "480p"


def clip_name(folder: Path) -> str:
    """The sequence name of a clip folder: `walk.mp4.frames` -> `walk_mp4`."""
    return folder.name.removesuffix(FRAMES_SUFFIX).replace(".", "_") or "clip"


class DavisWriter:
    """One sequence (the exported folder) in DAVIS's folders; see the module."""

    description: ClassVar[str] = "DAVIS layout for a clip: frames + object-id PNGs (track ids)"

    def __init__(self, out: Path, classes: list[str], report: ExportReport) -> None:
        self.out = out
        self.folder: Path | None = None
        self.written: set[str] = set()
        self.size: tuple[int, int] | None = None

    def _dirs(self) -> tuple[Path, Path]:
        assert self.folder is not None
        name = clip_name(self.folder)
        return (self.out / "JPEGImages" / RESOLUTION / name,
                self.out / "Annotations" / RESOLUTION / name)  # fmt: skip

    def add(self, item: ExportItem) -> None:
        self.folder = self.folder or item.image_path.parent
        self.size = self.size or item.size
        labels = np.zeros(item.size, np.uint8)
        for eo in item.objects:
            if eo.obj.id > 255:
                raise FileProblem(item.image_path, f"object id {eo.obj.id} does not fit DAVIS's "
                                  "8-bit object PNGs (ids 1-255)")  # fmt: skip
            labels[eo.mask] = eo.obj.id
        images, annotations = self._dirs()
        self._frame(item.image_path, images)
        write_indexed_png(annotations / f"{item.image_path.stem}.png", labels)
        self.written.add(item.image_path.name)

    def _frame(self, src: Path, images: Path) -> None:
        images.mkdir(parents=True, exist_ok=True)
        rgb = read_image_rgb(src)
        cv2.imwrite(str(images / f"{src.stem}.jpg"), rgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 95])

    def finish(self) -> None:
        if self.folder is None:
            return
        images, annotations = self._dirs()
        for frame in list_images(self.folder):  # every frame has its PNG, as in DAVIS
            if frame.name in self.written:
                continue
            self._frame(frame, images)
            h, w = read_image_rgb(frame).shape[:2]
            write_indexed_png(annotations / f"{frame.stem}.png", np.zeros((h, w), np.uint8))
        sets = self.out / "ImageSets" / "2017"
        sets.mkdir(parents=True, exist_ok=True)
        (sets / "val.txt").write_text(clip_name(self.folder) + "\n", encoding="utf-8")
