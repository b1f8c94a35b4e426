"""COCO-20i folds from COCO 2014 as distributed, with HSNet's fixed per-fold lists when given.

The 80 categories in category-id order (index k = 0..79); fold i holds the categories with
k mod 4 == i (HSNet's and PFENet's `fold + 4 v`), the training side the other 60.

Images per class: HSNet's `data/splits/coco/{val,trn}/fold{i}.pkl` when passed as --split-file
(a dict 0-based class index -> image names `val2014/<file>.jpg`; the papers' episode set), else
every image of the split with a non-crowd annotation of the class (labelled non-standard).
The class mask is read from HSNet's PNG masks (`annotations/val2014/<stem>.png`, value k + 1)
when that folder exists, else rasterised from `annotations/instances_val2014.json` as the union
of the class's non-crowd annotations (a crowd region is not an object outline). The JSON is
checked as coco_index.py says before anything is rasterised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from samic_core.errors import FileProblem, SamicError
from samic_core.eval.benchmarks import SPLITS, _check_fold, coco_fold_indices
from samic_core.eval.coco_index import check_segmentation, image_entry, load_coco, rasterise
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
from samic_core.eval.ref_lists import read_coco_fold_pkl
from samic_core.export.limits import header_size
from samic_core.fileio import read_image_rgb
from samic_core.safepath import child

N_CLASSES = 80


@dataclass
class CocoDataset(FewShotDataset):
    coco: Any = None
    image_ids: dict[Path, int] = field(default_factory=dict)
    cat_ids: dict[str, int] = field(default_factory=dict)
    class_index: dict[str, int] = field(default_factory=dict)

    def load(self, sample: Sample) -> Target:
        """The image and its class mask (HSNet's PNG or the JSON's non-crowd annotations)."""
        if sample.mask_path is not None:
            image = read_image(sample.image_path, sample.mask_path)
            labels = read_labels(sample.mask_path, image.shape[:2])
            mask = labels == self.class_index[sample.class_name] + 1
        else:
            image, mask = self._from_json(sample)
        components, n = mask_components(mask, MIN_COMPONENT_AREA)
        return Target(image, mask, components, n, None)

    def _from_json(self, sample: Sample) -> tuple[np.ndarray, np.ndarray]:
        """Sizes and segmentations are checked before anything is decoded or rasterised."""
        assert self.names_file is not None
        img_id = self.image_ids[sample.image_path]
        h, w = int(self.coco.imgs[img_id]["height"]), int(self.coco.imgs[img_id]["width"])
        fh, fw = header_size(sample.image_path, "image")
        if (fh, fw) not in ((h, w), (w, h)):  # either way round: EXIF may turn it
            raise FileProblem(
                sample.image_path, f"image is {fw}x{fh} but {self.names_file} says {w}x{h}"
            )
        cat = self.cat_ids[sample.class_name]
        anns = self.coco.loadAnns(self.coco.getAnnIds(imgIds=[img_id], catIds=[cat]))
        anns = [a for a in anns if not a.get("iscrowd")]
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
        return image, mask


def _coco_paths(root: Path, part: str) -> tuple[Path, Path]:
    ann = root / "annotations" / f"instances_{part}.json"
    images = root / part
    if not ann.is_file():
        raise FileProblem(root, f"is not a COCO 2014 folder: no annotations/instances_{part}.json")
    if not images.is_dir():
        raise FileProblem(root, f"is not a COCO 2014 folder: no {part}/ image folder")
    return ann, images


def _derived_ids(coco: Any, cat_id: int) -> list[int]:
    """Images with a non-crowd annotation of the category, by id."""
    anns = coco.loadAnns(coco.getAnnIds(catIds=[cat_id]))
    return sorted({a["image_id"] for a in anns if not a.get("iscrowd")})


def _listed_ids(
    listed: Path, names: list[str], part: str, by_name: dict[str, int], ann_path: Path
) -> list[int]:
    """Image ids of a fold list's names (`<part>/<file>` or a plain file name)."""
    ids = []
    for name in names:
        folder, _, file = name.rpartition("/")
        if folder not in ("", part):
            raise FileProblem(listed, f"image {name!r} is not in {part}/")
        if file not in by_name:
            raise FileProblem(listed, f"image {name!r} is not in {ann_path.name}")
        ids.append(by_name[file])
    return ids


def read_coco20i(
    root: str | Path, fold: int, split_file: str | Path | None = None, split: str = "val"
) -> CocoDataset:
    """COCO-20i fold `fold` (see the module docstring); split "trn" reads the training side
    (the other 60 classes) from train2014."""
    _check_fold(fold)
    if split not in SPLITS:
        raise SamicError(f"split must be one of {SPLITS}, got {split!r}")
    root = Path(root)
    part = "val2014" if split == "val" else "train2014"
    ann_path, images_dir = _coco_paths(root, part)
    coco = load_coco(ann_path)
    cats = sorted(coco.loadCats(coco.getCatIds()), key=lambda c: c["id"])
    in_fold = set(coco_fold_indices(fold, len(cats)))
    fold_k = [k for k in range(len(cats)) if (k in in_fold) == (split == "val")]
    listed = None if split_file is None else Path(split_file)
    lists = None
    if listed is not None:
        lists = read_coco_fold_pkl(listed)
        if len(cats) != N_CLASSES:
            raise FileProblem(ann_path, f"has {len(cats)} categories; the fold list indexes 80")
        missing = [k for k in fold_k if k not in lists]
        if missing:
            raise FileProblem(listed, f"has no images for class index {missing[0]} of fold "
                              f"{fold} ({cats[missing[0]]['name']}): is it the {split} "
                              f"fold{fold}.pkl?")  # fmt: skip
    png_dir = root / "annotations" / part
    by_name = {str(v.get("file_name")): i for i, v in coco.imgs.items()}
    samples: dict[str, list[Sample]] = {}
    image_ids: dict[Path, int] = {}
    paths: dict[int, Path] = {}  # each image entry is checked once
    for k in fold_k:
        cat = cats[k]
        if lists is None:
            ids = _derived_ids(coco, cat["id"])
        else:
            assert listed is not None
            ids = _listed_ids(listed, lists[k], part, by_name, ann_path)
        samples[cat["name"]] = []
        for img_id in ids:
            if img_id not in paths:
                paths[img_id] = image_entry(coco, img_id, images_dir, ann_path)[0]
                if paths[img_id] in image_ids:
                    raise FileProblem(
                        ann_path, f"two images have the file_name {paths[img_id].name!r}"
                    )
                image_ids[paths[img_id]] = img_id
            mask = None
            if png_dir.is_dir():
                mask = child(png_dir, f"{paths[img_id].stem}.png", ann_path, "mask")
                if not mask.is_file():
                    raise FileProblem(mask, "missing: annotations/<split>/ holds HSNet's masks")
            samples[cat["name"]].append(Sample(cat["name"], paths[img_id], mask))
    classes = [cats[k]["name"] for k in fold_k]
    if not any(samples.values()):
        raise SamicError(f"{ann_path}: no image of fold {fold}'s categories")
    note = (
        f"HSNet's COCO-20i list {listed.name}" if listed is not None
        else f"no split file: every {part} image with a non-crowd annotation of the class"
    )  # fmt: skip
    return CocoDataset(
        root, "coco20i", classes, samples, listed, policy="class", fold=fold, coco=coco,
        names_file=ann_path, standard_list=listed is not None, list_note=note,
        image_ids=image_ids, cat_ids={cats[k]["name"]: cats[k]["id"] for k in fold_k},
        class_index={cats[k]["name"]: k for k in fold_k},
    )  # fmt: skip
