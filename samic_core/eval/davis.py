"""`--format davis --year 2016|2017`: the DAVIS video object segmentation layout as distributed.

`ROOT/JPEGImages/480p/<sequence>/<frame>.jpg` and `ROOT/Annotations/480p/<sequence>/<frame>.png`
(frames in name order). The sequences are those of the year's official list: DAVIS-2016's
`ImageSets/480p/val.txt` (lines `/JPEGImages/480p/<seq>/<frame>.jpg /Annotations/...`, 20
sequences; the DAVIS-2017 package's `ImageSets/2016/val.txt` names the same ones) or
DAVIS-2017's `ImageSets/2017/val.txt` (30 sequences), or the names of --split-file (labelled
non-standard). Without any list a run is refused unless `all_sequences` asks for every annotated
sequence, training ones too. DAVIS-2016 masks are binary: every non-zero pixel is the one object.
DAVIS-2017 masks are palette PNGs: each index 1..254 is an object; 255 (void) is background, as
the official davis2017-evaluation sets it before binarising; the objects of a sequence are those
of its first frame (the DAVIS semi-supervised protocol). A listed sequence name must be a plain
folder name inside JPEGImages/480p/ and Annotations/480p/ (see safepath).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from samic_core.errors import FileProblem, SamicError
from samic_core.eval.datasets import (
    FewShotDataset,
    Sample,
    Target,
    _natural_key,
    read_split_file,
)
from samic_core.eval.labels import read_labels
from samic_core.eval.mask_io import (
    MIN_COMPONENT_AREA,
    check_mask_header,
    mask_components,
    read_image,
)
from samic_core.eval.ref_lists import label as list_label
from samic_core.export.limits import header_size
from samic_core.safepath import child

YEARS = (2016, 2017)
RESOLUTION = "480p"
VOID_LABEL = 255
# A DAVIS-2016 ImageSets/480p line starts with its frame: /JPEGImages/480p/<sequence>/<frame>
FRAME_LINE = re.compile(r"/?JPEGImages/480p/([^/\\]+)/[^/\\]+")


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
    standard_list: bool = False
    list_note: str = ""

    def image(self, seq: Sequence, t: int) -> np.ndarray:
        return read_image(seq.frames[t], seq.masks[t])

    def labels(self, seq: Sequence, t: int, shape: tuple[int, int]) -> np.ndarray:
        """(H, W) object labels of frame t: 0 background (void included), 1..n objects."""
        return object_labels(read_labels(seq.masks[t], shape), self.year)

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
            "list": list_label(self.standard_list),
            "list_note": self.list_note,
            "sequences": {s.name: len(s.frames) for s in self.sequences},
            "objects": {s.name: list(s.objects) for s in self.sequences},
        }


def object_labels(labels: np.ndarray, year: int) -> np.ndarray:
    """Object ids of an annotation: 2016 any non-zero pixel is object 1; 2017 the palette
    indices, void (255) turned into background as davis2017-evaluation does."""
    if year == 2016:
        return (labels > 0).astype(np.uint8)
    return np.where(labels == VOID_LABEL, 0, labels)


def official_lists(root: Path, year: int, split: str) -> list[Path]:
    """Where the DAVIS packages keep the year's sequence list, in the order they are tried."""
    sets = root / "ImageSets"
    if year == 2016:
        return [sets / RESOLUTION / f"{split}.txt", sets / "2016" / f"{split}.txt"]
    return [sets / "2017" / f"{split}.txt"]


def read_sequence_list(path: Path) -> list[str]:
    """Sequence names of a list: one name a line (DAVIS-2017, --split-file), or DAVIS-2016's
    frame lines (`/JPEGImages/480p/<seq>/<frame>.jpg /Annotations/...`), each sequence once,
    in order. Names are checked as folder names where they are used (`_sequence`)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise FileProblem(path, f"cannot read the sequence list ({e})") from None
    firsts = [ln.split()[0] for ln in lines if ln.strip() and not ln.strip().startswith("#")]
    if not any(FRAME_LINE.fullmatch(f) for f in firsts):
        return read_split_file(path)
    names: dict[str, None] = {}
    for first in firsts:
        match = FRAME_LINE.fullmatch(first)
        if match is None:
            raise FileProblem(path, f"line {first!r} is not /JPEGImages/480p/<seq>/<frame>.jpg")
        names[match.group(1)] = None
    return list(names)


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
    root: str | Path,
    year: int,
    split_file: str | Path | None = None,
    split: str = "val",
    all_sequences: bool = False,
) -> DavisDataset:
    """The DAVIS sequences of `year`'s official `split` list (val or train), or `split_file`'s
    names; every annotated sequence only when `all_sequences` is asked for."""
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
    official = [p for p in official_lists(root, year, split) if p.is_file()]
    listed = Path(split_file) if split_file is not None else None
    if listed is None and official:
        listed = official[0]
    if listed is not None:
        names = read_sequence_list(listed)
        match = [p for p in official if p.resolve() == listed.resolve()]
        standard = bool(match)
        note = (
            f"DAVIS-{year % 100} {split} list {match[0].relative_to(root).as_posix()}"
            if match
            else f"--split-file {listed.name}, not the official DAVIS-{year % 100} {split} list"
        )
    elif all_sequences:
        names = sorted(p.name for p in ann_root.iterdir() if p.is_dir())
        standard, note = False, "every annotated sequence (--all-sequences), training ones too"
    else:
        tried = " or ".join(str(p.relative_to(root)) for p in official_lists(root, year, split))
        raise FileProblem(root, f"has no {tried}; pass --split-file, or --all-sequences to use "
                          "every sequence (training ones too)")  # fmt: skip
    if not names:
        raise SamicError(f"{ann_root}: no sequences found")
    sequences = [_sequence(root, n, year, listed) for n in names]
    return DavisDataset(root, year, sequences, listed, standard, note)


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
        labels = object_labels(read_labels(sample.mask_path, image.shape[:2]), self.davis.year)
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
