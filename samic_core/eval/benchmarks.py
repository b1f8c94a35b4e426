"""Pascal-5i folds read from VOC2012 + SBD as distributed (HSNet's protocol), and the fold
definitions of Pascal-5i and COCO-20i (coco20i.py reads COCO).

Pascal-5i: the 20 VOC classes in VOC order (aeroplane .. tvmonitor); fold i holds classes
5i+1 .. 5i+5 (1-based VOC ids). Queries are the (image, class) pairs of HSNet's
`data/splits/pascal/val/fold{i}.txt` (lines `<image>__<class id>`, small objects left out) when
given as --split-file: the papers' list. Without it, every image of VOC2012
`ImageSets/Segmentation/val.txt` whose SBD-augmented mask (`SegmentationClassAug/<image>.png`)
contains the class, in the list's order and, within an image, in class order (labelled
non-standard: more and smaller queries than HSNet's). The class's pixels are the object
(value == class id); pixels of value 255 (object borders) are ignored when scoring, as HSNet
does. Both use 1,000 episodes per fold with a fixed seed (episodes.py, policy `cycle`).

`split="trn"` reads the training side of fold f, to convert into a SAMBOX training folder
(`samic to-sambox`): the 15 classes outside the fold, from the union of HSNet's
`data/splits/pascal/trn/fold{g}.txt` for the three folds g != f (--split-file names that folder
or any file in it), as HSNet trains; without it, every SBD-augmented training image (each
SegmentationClassAug mask whose image is not in val.txt).

Names read from a list must be plain file names inside their folder (samic_core.safepath).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from samic_core.errors import FileProblem, SamicError
from samic_core.eval.datasets import (
    FewShotDataset,
    Sample,
    Target,
)
from samic_core.eval.labels import read_labels
from samic_core.eval.mask_io import (
    MIN_COMPONENT_AREA,
    mask_components,
    read_image,
)
from samic_core.eval.ref_lists import HSNET_PASCAL_PAIRS, fold_file_of
from samic_core.safepath import check_name, child

N_FOLDS = 4
IGNORE_LABEL = 255
PASCAL_CLASSES = (
    "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
    "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa",
    "train", "tvmonitor",
)  # fmt: skip


SPLITS = ("val", "trn")


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise SamicError(f"split must be one of {SPLITS}, got {split!r}")


def _check_fold(fold: int) -> None:
    if fold not in range(N_FOLDS):
        raise SamicError(f"--fold must be 0, 1, 2 or 3, got {fold}")


def pascal_fold_classes(fold: int) -> list[int]:
    """1-based VOC class ids of a Pascal-5i fold: 5 fold + 1 .. 5 fold + 5."""
    _check_fold(fold)
    return list(range(5 * fold + 1, 5 * fold + 6))


def coco_fold_indices(fold: int, n_classes: int = 80) -> list[int]:
    """0-based category indices (in category-id order) of a COCO-20i fold: k mod 4 == fold."""
    _check_fold(fold)
    return [k for k in range(n_classes) if k % N_FOLDS == fold]


# ---- Pascal-5i -----------------------------------------------------------------------------
@dataclass
class PascalDataset(FewShotDataset):
    class_ids: dict[str, int] = field(default_factory=dict)

    def load(self, sample: Sample) -> Target:
        assert sample.mask_path is not None
        image = read_image(sample.image_path, sample.mask_path)
        labels = read_labels(sample.mask_path, image.shape[:2])
        mask = labels == self.class_ids[sample.class_name]
        components, n = mask_components(mask, MIN_COMPONENT_AREA)
        return Target(image, mask, components, n, None, ignore=labels == IGNORE_LABEL)


def _voc_dir(root: Path) -> Path:
    for cand in (root, root / "VOC2012", root / "VOCdevkit" / "VOC2012"):
        if (cand / "JPEGImages").is_dir():
            return cand
    raise FileProblem(root, "is not a VOC2012 folder: no JPEGImages/ (nor VOC2012/JPEGImages/)")


def _aug_dir(voc: Path) -> Path:
    for cand in (voc / "SegmentationClassAug", voc.parent / "SegmentationClassAug"):
        if cand.is_dir():
            return cand
    raise FileProblem(
        voc, "has no SegmentationClassAug/ (the SBD-augmented masks) inside or beside it"
    )


def _voc_files(voc: Path, aug: Path, name: str, source: Path) -> tuple[Path, Path]:
    """(image, mask) of an image name read from `source`: a plain name, both files inside
    their folders."""
    check_name(source, "image", name)
    image = child(voc / "JPEGImages", f"{name}.jpg", source, "image")
    return image, child(aug, f"{name}.png", source, "mask")


def _read_fold_file(path: Path, fold_ids: list[int]) -> list[tuple[str, int]]:
    """`<image>__<class id>` lines whose classes must all be in `fold_ids`."""
    pairs = []
    if path.is_dir():
        raise FileProblem(path, "is a folder; pass HSNet's val/fold<i>.txt")
    for line in _read_lines(path, "fold file"):
        name, sep, cls = line.rpartition("__")
        if not sep or not cls.isdigit():
            raise FileProblem(path, f"line {line!r} is not <image>__<class id>")
        if int(cls) not in fold_ids:
            raise FileProblem(path, f"class {cls} of {name} is not in this fold {fold_ids}")
        check_name(path, "image", name)
        pairs.append((name, int(cls)))
    if not pairs:
        raise FileProblem(path, "fold file lists no images")
    return pairs


def _read_lines(path: Path, what: str) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").split()
    except (OSError, UnicodeDecodeError) as e:
        raise FileProblem(path, f"cannot read the {what} ({e})") from None


def _voc_val_names(voc: Path) -> tuple[Path, list[str]]:
    listed = voc / "ImageSets" / "Segmentation" / "val.txt"
    if not listed.is_file():
        raise FileProblem(voc, f"has no {listed.relative_to(voc)}; pass HSNet's fold file")
    return listed, _read_lines(listed, "image list")


def _derive_pairs(
    voc: Path, aug: Path, fold_ids: list[int], split: str
) -> tuple[list[tuple[str, int]], Path]:
    """(image, class) pairs of every image holding a class of `fold_ids`: VOC2012's val.txt for
    "val"; for "trn" the SBD-augmented training set (every SegmentationClassAug mask whose
    image is not in val.txt, as HSNet's training lists)."""
    val_list, val_names = _voc_val_names(voc)
    if split == "val":
        names, source = val_names, val_list
    else:
        held_out = set(val_names)
        names = sorted(p.stem for p in aug.glob("*.png") if p.stem not in held_out)
        source = aug
    pairs = []
    for name in names:
        present = np.unique(read_labels(_voc_files(voc, aug, name, source)[1]))
        pairs += [(name, c) for c in fold_ids if c in present]
    return pairs, source


def _listed_pairs(listed: Path, fold: int, split: str) -> tuple[list[tuple[str, int]], bool, str]:
    """HSNet's pairs: val/fold{fold}.txt, or for "trn" the union of trn/fold{g}.txt over the
    other folds g (HSNet trains fold f on them); standard when the count is HSNet's."""
    if split == "val":
        pairs = _read_fold_file(listed, pascal_fold_classes(fold))
        expected = HSNET_PASCAL_PAIRS["val"][fold]
        what = f"{listed.name} ({len(pairs)} pairs)"
    else:
        files = [(g, fold_file_of(listed, g)) for g in range(N_FOLDS) if g != fold]
        for _, path in files:
            if not path.is_file():
                raise FileProblem(path, f"missing: training fold {fold} reads the trn lists "
                                  "of the other three folds")  # fmt: skip
        pairs = [p for g, path in files for p in _read_fold_file(path, pascal_fold_classes(g))]
        expected = sum(HSNET_PASCAL_PAIRS["trn"][g] for g, _ in files)
        what = f"{' + '.join(p.name for _, p in files)} ({len(pairs)} pairs)"
    if len(pairs) == expected:
        return pairs, True, f"HSNet's Pascal-5i {split} list {what}"
    return pairs, False, f"{what}: not HSNet's list, which has {expected} pairs"


def read_pascal5i(
    root: str | Path, fold: int, split_file: str | Path | None = None, split: str = "val"
) -> PascalDataset:
    """Pascal-5i fold `fold` from VOC2012 + SegmentationClassAug (see the module docstring)."""
    _check_split(split)
    fold_ids = pascal_fold_classes(fold)
    if split == "trn":
        fold_ids = [c for c in range(1, 21) if c not in fold_ids]
    voc = _voc_dir(Path(root))
    aug = _aug_dir(voc)
    listed = None if split_file is None else Path(split_file)
    if listed is not None:
        pairs, standard, note = _listed_pairs(listed, fold, split)
        source = listed
    else:
        pairs, source = _derive_pairs(voc, aug, fold_ids, split)
        standard, note = False, (
            "no split file: every VOC2012 val image holding a fold class (HSNet's lists leave "
            "out small objects)" if split == "val"
            else "no split file: every SBD-augmented training image holding a class"
        )  # fmt: skip
    names = {c: PASCAL_CLASSES[c - 1] for c in fold_ids}
    samples: dict[str, list[Sample]] = {names[c]: [] for c in fold_ids}
    order = []
    for name, c in pairs:
        image, mask = _voc_files(voc, aug, name, source)
        for p in (image, mask):
            if not p.is_file():
                raise FileProblem(p, f"listed for fold {fold} but missing")
        sample = Sample(names[c], image, mask)
        samples[names[c]].append(sample)
        order.append(sample)
    if not order:
        raise SamicError(f"{voc}: no image of fold {fold}'s classes found")
    classes = [names[c] for c in fold_ids]
    return PascalDataset(
        voc, "pascal5i", classes, samples, listed, policy="cycle", query_order=order,
        fold=fold, standard_list=standard, list_note=note,
        class_ids={v: k for k, v in names.items()},
    )  # fmt: skip
