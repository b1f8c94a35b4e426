"""COCO-20i and Pascal-5i test folds, read from the datasets as distributed (HSNet's protocol).

Pascal-5i: the 20 VOC classes in VOC order (aeroplane .. tvmonitor); fold i holds classes
5i+1 .. 5i+5 (1-based VOC ids). Queries are the (image, class) pairs of fold i: from HSNet's
`data/splits/pascal/val/fold{i}.txt` (lines `<image>__<class id>`) when given as --split-file,
else every image of VOC2012 `ImageSets/Segmentation/val.txt` whose SBD-augmented mask
(`SegmentationClassAug/<image>.png`) contains the class, in the list's order and, within an
image, in class order. The class's pixels are the object (value == class id); pixels of value
255 (object borders) are ignored when scoring, as HSNet does.

COCO-20i: the 80 categories in category-id order (0..79); fold i holds the categories whose
index k has k mod 4 == i (HSNet's and PFENet's `fold + 4 v`). Queries are val2014 images with an
annotation of the class (`instances_val2014.json`, read with pycocotools); the mask is the union
of the class's annotations in the image (crowd regions included). The JSON is checked as
coco_index.py says (ids, names, file names, declared sizes, then each segmentation before it is
rasterised), with the limits `samic import` applies.

Names read from a list or a JSON (image names, COCO `file_name`) must be plain file names inside
their folder (samic_core.safepath).

Both use 1,000 episodes per fold with a fixed seed (episodes.py: policy `cycle` for Pascal,
`class` for COCO).

`split="trn"` reads the training side of a fold instead, to convert into a SAMBOX training
folder (`samic to-sambox`): the 15 (60) classes outside the fold, from VOC2012
`ImageSets/Segmentation/train.txt` (or HSNet's `data/splits/pascal/trn/fold{i}.txt`) and from
`instances_train2014.json` + `train2014/`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from samic_core.errors import FileProblem, SamicError
from samic_core.eval.coco_index import check_segmentation, image_entry, load_coco, rasterise
from samic_core.eval.datasets import (
    MIN_COMPONENT_AREA,
    FewShotDataset,
    Sample,
    Target,
    mask_components,
    read_image,
)
from samic_core.eval.labels import read_labels
from samic_core.export.limits import header_size
from samic_core.fileio import read_image_rgb
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
    try:
        lines = path.read_text(encoding="utf-8").split()
    except (OSError, UnicodeDecodeError) as e:
        raise FileProblem(path, f"cannot read fold file ({e})") from e
    for line in lines:
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


def _voc_list(voc: Path, split: str) -> Path:
    """VOC2012's image list of the split: val.txt, or train.txt for the training side."""
    return voc / "ImageSets" / "Segmentation" / ("val.txt" if split == "val" else "train.txt")


def _derive_pairs(voc: Path, aug: Path, fold_ids: list[int], split: str) -> list[tuple[str, int]]:
    listed = _voc_list(voc, split)
    if not listed.is_file():
        raise FileProblem(voc, f"has no {listed.relative_to(voc)}; pass HSNet's fold file")
    try:
        names = listed.read_text(encoding="utf-8").split()
    except (OSError, UnicodeDecodeError) as e:
        raise FileProblem(listed, f"cannot read the image list ({e})") from None
    pairs = []
    for name in names:
        present = np.unique(read_labels(_voc_files(voc, aug, name, listed)[1]))
        pairs += [(name, c) for c in fold_ids if c in present]
    return pairs


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
    pairs = (
        _read_fold_file(listed, fold_ids) if listed else _derive_pairs(voc, aug, fold_ids, split)
    )
    source = listed or _voc_list(voc, split)
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
        fold=fold, class_ids={v: k for k, v in names.items()},
    )  # fmt: skip


# ---- COCO-20i ------------------------------------------------------------------------------
@dataclass
class CocoDataset(FewShotDataset):
    coco: Any = None
    image_ids: dict[Path, int] = field(default_factory=dict)
    cat_ids: dict[str, int] = field(default_factory=dict)

    def load(self, sample: Sample) -> Target:
        """The image and its class mask; sizes and segmentations are checked before anything
        is decoded or rasterised."""
        assert self.names_file is not None
        img_id = self.image_ids[sample.image_path]
        h, w = int(self.coco.imgs[img_id]["height"]), int(self.coco.imgs[img_id]["width"])
        fh, fw = header_size(sample.image_path, "image")
        if (fh, fw) not in ((h, w), (w, h)):  # either way round: EXIF may turn it
            raise FileProblem(
                sample.image_path, f"image is {fw}x{fh} but {self.names_file} says {w}x{h}"
            )
        ann_ids = self.coco.getAnnIds(imgIds=[img_id], catIds=[self.cat_ids[sample.class_name]])
        anns = self.coco.loadAnns(ann_ids)
        for ann in anns:
            check_segmentation(self.names_file, ann, h, w)
        image = read_image_rgb(sample.image_path)
        mask = np.zeros(image.shape[:2], bool)
        for ann in anns:
            part = rasterise(self.coco, ann, self.names_file, h, w)
            if part.shape != mask.shape:
                raise FileProblem(
                    sample.image_path,
                    f"annotation {ann['id']} is {part.shape[::-1]}, the image {mask.shape[::-1]}",
                )
            mask |= part
        components, n = mask_components(mask, MIN_COMPONENT_AREA)
        return Target(image, mask, components, n, None)


def _coco_paths(root: Path, split: str) -> tuple[Path, Path]:
    part = "val2014" if split == "val" else "train2014"
    ann = root / "annotations" / f"instances_{part}.json"
    images = root / part
    if not ann.is_file():
        raise FileProblem(root, f"is not a COCO 2014 folder: no annotations/instances_{part}.json")
    if not images.is_dir():
        raise FileProblem(root, f"is not a COCO 2014 folder: no {part}/ image folder")
    return ann, images


def read_coco20i(
    root: str | Path, fold: int, split_file: str | Path | None = None, split: str = "val"
) -> CocoDataset:
    """COCO-20i fold `fold` from COCO 2014 val (see the module docstring)."""
    _check_fold(fold)
    _check_split(split)
    if split_file is not None:
        raise SamicError("--split-file does not apply to coco20i (the fold defines the classes)")
    root = Path(root)
    ann_path, images_dir = _coco_paths(root, split)
    coco = load_coco(ann_path)
    cats = sorted(coco.loadCats(coco.getCatIds()), key=lambda c: c["id"])
    in_fold = set(coco_fold_indices(fold, len(cats)))
    fold_cats = [c for k, c in enumerate(cats) if (k in in_fold) == (split == "val")]
    samples: dict[str, list[Sample]] = {}
    image_ids: dict[Path, int] = {}
    paths: dict[int, Path] = {}  # each image entry is checked once
    for cat in fold_cats:
        img_ids = sorted(coco.getImgIds(catIds=[cat["id"]]))
        samples[cat["name"]] = []
        for img_id in img_ids:
            if img_id not in paths:
                paths[img_id] = image_entry(coco, img_id, images_dir, ann_path)[0]
                if paths[img_id] in image_ids:
                    raise FileProblem(
                        ann_path, f"two images have the file_name {paths[img_id].name!r}"
                    )
                image_ids[paths[img_id]] = img_id
            samples[cat["name"]].append(Sample(cat["name"], paths[img_id]))
    classes = [c["name"] for c in fold_cats]
    if not any(samples.values()):
        raise SamicError(f"{ann_path}: no image of fold {fold}'s categories")
    return CocoDataset(
        root, "coco20i", classes, samples, None, policy="class", fold=fold, coco=coco,
        image_ids=image_ids, cat_ids={c["name"]: c["id"] for c in fold_cats}, names_file=ann_path,
    )  # fmt: skip
