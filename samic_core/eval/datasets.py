"""Few-shot datasets read into one shape: FSS-1000, PerSeg and SAMBOX annotated folders.

A dataset is a list of classes and, per class, the images that show it. Loading a sample gives
the RGB image, the class's ground-truth mask, its parts (connected components of the mask, or
SAMBOX's annotated instances) and, for SAMBOX folders, the annotator's positive clicks.
"""

from __future__ import annotations

import logging
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from samic_core.annotation import AnnotationStore
from samic_core.errors import FileProblem, SamicError
from samic_core.eval.mask_io import MIN_COMPONENT_AREA, mask_components, read_image, read_mask
from samic_core.eval.ref_lists import FSS_TEST_CLASSES, PERSEG_CLASSES
from samic_core.eval.ref_lists import label as list_label
from samic_core.fileio import IMAGE_EXTENSIONS

log = logging.getLogger(__name__)

FORMATS = ("fss", "perseg", "sambox", "folder", "coco20i", "pascal5i")
VIDEO_FORMATS = ("davis",)
# Foreground thresholds on the grey mask: HSNet's data/fss.py keeps values >= 128;
# PerSAM's eval_mioU.py counts any non-zero grey value as the object.
FSS_FG_THRESHOLD = 128
PERSEG_FG_THRESHOLD = 1


@dataclass(frozen=True)
class Sample:
    """One image of one class; `mask_path` is None where the store holds the masks (SAMBOX)."""

    class_name: str
    image_path: Path
    mask_path: Path | None = None

    @property
    def key(self) -> str:
        return f"{self.class_name}/{self.image_path.name}"


@dataclass
class Target:
    """A loaded sample.

    image: (H, W, 3) uint8 RGB; mask: (H, W) bool, the class's pixels;
    components: (H, W) int32, 0 = not a part, 1..n = ground-truth parts (instances);
    points: (N, 2) float64 annotated positive clicks (x, y), or None where the data has none;
    ignore: (H, W) bool pixels left out of the scores (Pascal's 255 object borders), or None.
    """

    image: np.ndarray
    mask: np.ndarray
    components: np.ndarray
    n_components: int
    points: np.ndarray | None = None
    ignore: np.ndarray | None = None


@dataclass
class FewShotDataset(ABC):
    """Classes and their samples; `load` reads one sample's pixels and ground truth.

    Benchmarks with a fixed episode count (COCO-20i, Pascal-5i) set `policy` (their default
    episode policy, see episodes.py) and, for Pascal's query cycle, `query_order`. `names_file`
    is the file the class names were read from (COCO's instances JSON, DAVIS's sequence list),
    for messages about a name; None means the folder names under `root`. `standard_list` says
    whether the images and classes are the papers' fixed list (ref_lists.py), `list_note`
    which list they are.
    """

    root: Path
    format: str
    classes: list[str]
    samples: dict[str, list[Sample]]
    split_file: Path | None = None
    skipped: list[str] = field(default_factory=list)
    policy: str | None = None
    query_order: list[Sample] | None = None
    fold: int | None = None
    names_file: Path | None = None
    standard_list: bool = False
    list_note: str = "no reference list exists for this format"

    @abstractmethod
    def load(self, sample: Sample) -> Target: ...

    def relative(self, path: Path) -> str:
        """`path` relative to the dataset root, for results files."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def describe(self) -> dict:
        return {
            "root": str(self.root),
            "format": self.format,
            "split_file": None if self.split_file is None else str(self.split_file),
            "classes": list(self.classes),
            "images_per_class": {c: len(self.samples[c]) for c in self.classes},
            "skipped": list(self.skipped),
            "fold": self.fold,
            "list": list_label(self.standard_list),
            "list_note": self.list_note,
        }


# ---- image + mask file datasets (FSS-1000, PerSeg) -----------------------------------------
@dataclass
class MaskFileDataset(FewShotDataset):
    """Datasets whose ground truth is one mask image per image (no clicks)."""

    fg_threshold: int = FSS_FG_THRESHOLD
    min_component_area: int = MIN_COMPONENT_AREA

    def load(self, sample: Sample) -> Target:
        assert sample.mask_path is not None
        image = read_image(sample.image_path, sample.mask_path)
        mask = read_mask(sample.mask_path, self.fg_threshold, image.shape[:2])
        components, n = mask_components(mask, self.min_component_area)
        return Target(image, mask, components, n, None)


def _natural_key(path: Path) -> tuple:
    """Sort 2.jpg before 10.jpg (FSS-1000 names its images 1..10)."""
    return tuple(int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", path.stem))


def read_split_file(path: Path) -> list[str]:
    """Class names, one per line; blank lines and lines starting with '#' are ignored."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise FileProblem(path, f"cannot read split file ({e})") from e
    names = [ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith("#")]
    if not names:
        raise FileProblem(path, "split file lists no class names")
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise FileProblem(path, f"split file lists classes more than once: {dup[:5]}")
    return names


def _select_classes(found: dict[str, list[Sample]], root: Path, split_file: Path | None) -> list:
    if split_file is None:
        return sorted(found)
    names = read_split_file(split_file)
    missing = [n for n in names if n not in found]
    if missing:
        raise FileProblem(
            split_file,
            f"{len(missing)} listed classes have no images in {root}, e.g. {missing[:3]}",
        )
    return names


def read_fss(
    root: str | Path,
    split_file: str | Path | None = None,
    fg_threshold: int = FSS_FG_THRESHOLD,
) -> MaskFileDataset:
    """FSS-1000 layout: `<root>/<class>/<n>.jpg` with the mask `<root>/<class>/<n>.png`.

    `root` may also be the folder that holds `FSS-1000/` (HSNet's datapath). Without a split
    file every class folder is used, sorted by name; with one, its classes in its order.
    """
    root = Path(root)
    if not root.is_dir():
        raise SamicError(f"{root}: dataset folder does not exist")
    if (root / "FSS-1000").is_dir() and not _fss_class_dirs(root):
        root = root / "FSS-1000"
    found: dict[str, list[Sample]] = {}
    for folder in _fss_class_dirs(root):
        samples = []
        for image in sorted(folder.glob("*.jpg"), key=_natural_key):
            mask = image.with_suffix(".png")
            if not mask.is_file():
                raise FileProblem(image, f"has no mask {mask.name} beside it")
            samples.append(Sample(folder.name, image, mask))
        found[folder.name] = samples
    if not found:
        raise SamicError(f"{root}: no FSS-1000 class folders (<class>/<n>.jpg + <n>.png) found")
    split = None if split_file is None else Path(split_file)
    classes = _select_classes(found, root, split)
    standard = split is not None and len(classes) == FSS_TEST_CLASSES
    if split is None:
        note = f"no split file: all {len(classes)} class folders, training classes too"
    elif standard:
        note = f"FSS-1000 test list {split.name} ({FSS_TEST_CLASSES} classes, HSNet's test.txt)"
    else:
        note = f"{split.name} lists {len(classes)} classes, FSS-1000's test list {FSS_TEST_CLASSES}"
    return MaskFileDataset(
        root, "fss", classes, {c: found[c] for c in classes}, split, fg_threshold=fg_threshold,
        standard_list=standard, list_note=note,
    )  # fmt: skip


def _fss_class_dirs(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and any(p.glob("*.jpg")))


def read_perseg(
    root: str | Path,
    split_file: str | Path | None = None,
    fg_threshold: int = PERSEG_FG_THRESHOLD,
) -> MaskFileDataset:
    """PerSeg layout: `<root>/Images/<class>/<n>.jpg` and `<root>/Annotations/<class>/<n>.png`."""
    root = Path(root)
    images_dir, masks_dir = root / "Images", root / "Annotations"
    if not images_dir.is_dir() or not masks_dir.is_dir():
        raise FileProblem(root, "is not a PerSeg folder: it needs Images/ and Annotations/")
    found: dict[str, list[Sample]] = {}
    for folder in sorted(p for p in images_dir.iterdir() if p.is_dir()):
        images = sorted(
            (p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS),
            key=_natural_key,
        )
        samples = []
        for image in images:
            mask = masks_dir / folder.name / f"{image.stem}.png"
            if not mask.is_file():
                raise FileProblem(image, f"has no mask {mask}")
            samples.append(Sample(folder.name, image, mask))
        if samples:
            found[folder.name] = samples
    if not found:
        raise SamicError(f"{root}: no classes with images under Images/")
    split = None if split_file is None else Path(split_file)
    classes = _select_classes(found, root, split)
    standard = split is None and len(classes) == PERSEG_CLASSES
    note = (
        f"all {len(classes)} class folders" + ("" if standard else f", PerSeg has {PERSEG_CLASSES}")
        if split is None
        else f"{split.name}: {len(classes)} classes, not all of PerSeg's {PERSEG_CLASSES}"
    )
    return MaskFileDataset(
        root, "perseg", classes, {c: found[c] for c in classes}, split, fg_threshold=fg_threshold,
        standard_list=standard, list_note=note,
    )  # fmt: skip


# ---- SAMBOX annotated folders --------------------------------------------------------------
@dataclass
class SamboxDataset(FewShotDataset):
    """A SAMBOX folder: each annotated image is a sample of every class it has objects of."""

    store: AnnotationStore | None = None

    def load(self, sample: Sample) -> Target:
        assert self.store is not None
        loaded = self.store.load(sample.image_path.name)
        image = read_image(sample.image_path)
        if image.shape[:2] != loaded.instances.shape:
            raise FileProblem(
                self.store.json_path(sample.image_path.name),
                f"masks are {loaded.instances.shape[::-1]} but the image is "
                f"{image.shape[1::-1]} (width x height)",
            )
        objects = [o for o in loaded.annotation.objects if o.label == sample.class_name]
        components = np.zeros(loaded.instances.shape, np.int32)
        n = 0
        for obj in objects:
            pixels = loaded.instances == obj.id
            if pixels.any():
                n += 1
                components[pixels] = n
        points = np.array(
            [[p.x, p.y] for o in objects for p in o.points if p.positive], np.float64
        ).reshape(-1, 2)
        return Target(image, components > 0, components, n, points)


def read_sambox(root: str | Path, split_file: str | Path | None = None) -> SamboxDataset:
    """An annotated SAMBOX folder; images with unreviewed predictions are left out (not GT)."""
    root = Path(root)
    if not root.is_dir():
        raise SamicError(f"{root}: dataset folder does not exist")
    store = AnnotationStore(root)
    found: dict[str, list[Sample]] = {}
    skipped = []
    for image in store.images():
        if not store.exists(image.name):
            continue
        ann = store.load_json(image.name)
        if ann.is_predicted_unreviewed:
            skipped.append(image.name)
            continue
        for label in dict.fromkeys(o.label for o in ann.objects):
            found.setdefault(label, []).append(Sample(label, image))
    if skipped:
        log.warning(
            "%d images with unreviewed predictions are not used as ground truth", len(skipped)
        )
    if not found:
        raise SamicError(f"{root}: no annotated images (SAMBOX annotations/ folder) found")
    split = None if split_file is None else Path(split_file)
    if split is None:
        order = store.load_classes()
        classes = [c for c in order if c in found] + sorted(set(found) - set(order))
    else:
        classes = _select_classes(found, root, split)
    return SamboxDataset(
        root, "sambox", classes, {c: found[c] for c in classes}, split, skipped=skipped, store=store
    )


def read_dataset(
    root: str | Path,
    format: str,
    split_file: str | Path | None = None,
    fold: int | None = None,
    split: str = "val",
) -> FewShotDataset:
    """Read a dataset folder in one of FORMATS (`fold` for coco20i and pascal5i, 0..3).

    split: "val" (the fold's test classes) or "trn" (the other classes, to train on); only for
    coco20i and pascal5i.
    """
    if format in ("coco20i", "pascal5i"):
        from samic_core.eval.benchmarks import read_pascal5i
        from samic_core.eval.coco20i import read_coco20i

        if fold is None:
            raise SamicError(f"--format {format} needs --fold 0..3")
        reader = read_coco20i if format == "coco20i" else read_pascal5i
        return reader(root, fold, split_file, split)
    if fold is not None:
        raise SamicError(f"--fold is for coco20i and pascal5i, not {format}")
    if format == "folder":
        from samic_core.eval.folder import read_folder

        if split_file is not None:
            raise SamicError("--split-file does not apply to --format folder (one class)")
        return read_folder(root)
    if format == "fss":
        return read_fss(root, split_file)
    if format == "perseg":
        return read_perseg(root, split_file)
    if format == "sambox":
        return read_sambox(root, split_file)
    raise SamicError(f"unknown dataset format {format!r}; use one of {', '.join(FORMATS)}")
