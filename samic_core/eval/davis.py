"""`--format davis --year 2016|2017`: the DAVIS video object segmentation layout as distributed.

`ROOT/JPEGImages/480p/<sequence>/<frame>.jpg` and `ROOT/Annotations/480p/<sequence>/<frame>.png`
(frames in name order). The sequences are those of `ROOT/ImageSets/<year>/val.txt` when it
exists (DAVIS-16: 20, DAVIS-17: 30 validation sequences), else every annotated sequence, or the
names of --split-file. DAVIS-2016 masks are binary: every non-zero pixel is the one object.
DAVIS-2017 masks are palette PNGs: each index 1..254 is an object, 255 is void; the objects of a
sequence are those of its first frame (the DAVIS semi-supervised protocol).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from samic_core.errors import FileProblem, SamicError
from samic_core.eval.datasets import _natural_key, read_split_file
from samic_core.eval.labels import read_labels
from samic_core.fileio import read_image_rgb

YEARS = (2016, 2017)
RESOLUTION = "480p"
VOID_LABEL = 255


@dataclass(frozen=True)
class Sequence:
    name: str
    frames: tuple[Path, ...]  # JPEG frames in order
    masks: tuple[Path, ...]  # the annotation of each frame
    objects: tuple[int, ...]  # object labels (1 for DAVIS-2016)


@dataclass
class DavisDataset:
    root: Path
    year: int
    sequences: list[Sequence]
    split_file: Path | None = None

    def image(self, seq: Sequence, t: int) -> np.ndarray:
        return read_image_rgb(seq.frames[t])

    def labels(self, seq: Sequence, t: int, shape: tuple[int, int]) -> np.ndarray:
        """(H, W) object labels of frame t: 0 background, 1..n objects, 255 void (2017)."""
        labels = read_labels(seq.masks[t], shape)
        if self.year == 2016:
            return (labels > 0).astype(np.uint8)
        return labels

    def relative(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def describe(self) -> dict:
        return {
            "root": str(self.root),
            "format": "davis",
            "year": self.year,
            "split_file": None if self.split_file is None else str(self.split_file),
            "sequences": {s.name: len(s.frames) for s in self.sequences},
            "objects": {s.name: list(s.objects) for s in self.sequences},
        }


def _sequence(root: Path, name: str, year: int) -> Sequence:
    img_dir = root / "JPEGImages" / RESOLUTION / name
    ann_dir = root / "Annotations" / RESOLUTION / name
    if not img_dir.is_dir() or not ann_dir.is_dir():
        raise FileProblem(root, f"sequence {name!r} lacks JPEGImages/ or Annotations/ 480p folders")
    frames = tuple(sorted(img_dir.glob("*.jpg"), key=_natural_key))
    if len(frames) < 2:
        raise FileProblem(img_dir, "a sequence needs at least 2 frames")
    masks = tuple(ann_dir / f"{f.stem}.png" for f in frames)
    missing = [m for m in masks if not m.is_file()]
    if missing:
        raise FileProblem(missing[0], f"frame {missing[0].stem} of {name} has no annotation")
    first = read_labels(masks[0])
    if year == 2016:
        objects: tuple[int, ...] = (1,) if (first > 0).any() else ()
    else:
        objects = tuple(int(v) for v in np.unique(first) if 0 < v < VOID_LABEL)
    if not objects:
        raise FileProblem(masks[0], "the first frame shows no object to track")
    return Sequence(name, frames, masks, objects)


def read_davis(root: str | Path, year: int, split_file: str | Path | None = None) -> DavisDataset:
    """The DAVIS sequences of `year`'s validation list (or `split_file`'s names)."""
    if year not in YEARS:
        raise SamicError(f"--year must be 2016 or 2017, got {year}")
    root = Path(root)
    ann_root = root / "Annotations" / RESOLUTION
    if not (root / "JPEGImages" / RESOLUTION).is_dir() or not ann_root.is_dir():
        raise FileProblem(
            root, "is not a DAVIS folder: it needs JPEGImages/480p/ and Annotations/480p/"
        )
    split = Path(split_file) if split_file is not None else None
    default_list = root / "ImageSets" / str(year) / "val.txt"
    if split is None and default_list.is_file():
        split = default_list
    if split is not None:
        names = read_split_file(split)
    else:
        names = sorted(p.name for p in ann_root.iterdir() if p.is_dir())
    if not names:
        raise SamicError(f"{ann_root}: no sequences found")
    return DavisDataset(root, year, [_sequence(root, n, year) for n in names], split)
