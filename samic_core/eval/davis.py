"""`--format davis --year 2016|2017`: the DAVIS video object segmentation layout as distributed.

`ROOT/JPEGImages/480p/<sequence>/<frame>.jpg` and `ROOT/Annotations/480p/<sequence>/<frame>.png`
(frames in name order). The sequences are those of `ROOT/ImageSets/<year>/val.txt` when it
exists (DAVIS-16: 20, DAVIS-17: 30 validation sequences), else every annotated sequence, or the
names of --split-file. DAVIS-2016 masks are binary: every non-zero pixel is the one object.
DAVIS-2017 masks are palette PNGs: each index 1..254 is an object, 255 is void; the objects of a
sequence are those of its first frame (the DAVIS semi-supervised protocol). A listed sequence
name must be a plain folder name inside JPEGImages/480p/ and Annotations/480p/ (see safepath).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from samic_core.errors import FileProblem, SamicError
from samic_core.eval.datasets import (
    MIN_COMPONENT_AREA,
    FewShotDataset,
    Sample,
    Target,
    _natural_key,
    check_mask_header,
    mask_components,
    read_image,
    read_split_file,
)
from samic_core.eval.labels import read_labels
from samic_core.export.limits import header_size
from samic_core.safepath import child

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
        return read_image(seq.frames[t], seq.masks[t])

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


def _sequence(root: Path, name: str, year: int, listed: Path | None) -> Sequence:
    """One sequence; `listed` is the file that named it (None: found as a folder)."""
    source = listed if listed is not None else root / "Annotations" / RESOLUTION
    img_dir = child(root / "JPEGImages" / RESOLUTION, name, source, "sequence")
    ann_dir = child(root / "Annotations" / RESOLUTION, name, source, "sequence")
    if not img_dir.is_dir() or not ann_dir.is_dir():
        raise FileProblem(root, f"sequence {name!r} lacks JPEGImages/ or Annotations/ 480p folders")
    frames = tuple(sorted(img_dir.glob("*.jpg"), key=_natural_key))
    if len(frames) < 2:
        raise FileProblem(img_dir, "a sequence needs at least 2 frames")
    masks = tuple(ann_dir / f"{f.stem}.png" for f in frames)
    missing = [m for m in masks if not m.is_file()]
    if missing:
        raise FileProblem(missing[0], f"frame {missing[0].stem} of {name} has no annotation")
    check_mask_header(masks[0], header_size(frames[0], "image"), turned=True)  # before decoding
    first = read_labels(masks[0])
    if year == 2016:
        objects: tuple[int, ...] = (1,) if (first > 0).any() else ()
    else:
        objects = tuple(int(v) for v in np.unique(first) if 0 < v < VOID_LABEL)
    if not objects:
        raise FileProblem(masks[0], "the first frame shows no object to track")
    return Sequence(name, frames, masks, objects)


def read_davis(
    root: str | Path, year: int, split_file: str | Path | None = None, split: str = "val"
) -> DavisDataset:
    """The DAVIS sequences of `year`'s `split` list (val or train), or `split_file`'s names."""
    if year not in YEARS:
        raise SamicError(f"--year must be 2016 or 2017, got {year}")
    root = Path(root)
    ann_root = root / "Annotations" / RESOLUTION
    if not (root / "JPEGImages" / RESOLUTION).is_dir() or not ann_root.is_dir():
        raise FileProblem(
            root, "is not a DAVIS folder: it needs JPEGImages/480p/ and Annotations/480p/"
        )
    if split not in ("val", "train"):
        raise SamicError(f"DAVIS split must be val or train, got {split!r}")
    listed = Path(split_file) if split_file is not None else None
    default_list = root / "ImageSets" / str(year) / f"{split}.txt"
    if listed is None and default_list.is_file():
        listed = default_list
    if listed is not None:
        names = read_split_file(listed)
    else:
        names = sorted(p.name for p in ann_root.iterdir() if p.is_dir())
    if not names:
        raise SamicError(f"{ann_root}: no sequences found")
    return DavisDataset(root, year, [_sequence(root, n, year, listed) for n in names], listed)


@dataclass
class DavisFrames(FewShotDataset):
    """DAVIS training frames as a few-shot dataset: one class per object (`<seq>-<object>`).

    Each class's samples are `frames` evenly spaced frames of the sequence (the paper picks 10
    per video by optical flow, which is not implemented); to train SAMIC with `to-sambox`.
    """

    davis: DavisDataset | None = None
    objects: dict[str, int] = field(default_factory=dict)

    def load(self, sample: Sample) -> Target:
        assert self.davis is not None and sample.mask_path is not None
        image = read_image(sample.image_path, sample.mask_path)
        labels = read_labels(sample.mask_path, image.shape[:2])
        if self.davis.year == 2016:
            labels = (labels > 0).astype(np.uint8)
        mask = labels == self.objects[sample.class_name]
        components, n = mask_components(mask, MIN_COMPONENT_AREA)
        return Target(image, mask, components, n, None)


def davis_training_frames(davis: DavisDataset, frames: int = 10) -> DavisFrames:
    """`frames` evenly spaced frames of each sequence, one class per object of the first frame."""
    if frames < 2:
        raise SamicError(f"training needs at least 2 frames per sequence, got {frames}")
    samples: dict[str, list[Sample]] = {}
    objects: dict[str, int] = {}
    for seq in davis.sequences:
        picks = np.unique(np.linspace(0, len(seq.frames) - 1, frames).round().astype(int))
        for obj in seq.objects:
            name = f"{seq.name}-{obj}"
            objects[name] = obj
            samples[name] = [Sample(name, seq.frames[t], seq.masks[t]) for t in picks]
    return DavisFrames(
        davis.root, "davis", list(samples), samples, davis.split_file, davis=davis,
        objects=objects, names_file=davis.split_file,
    )  # fmt: skip
