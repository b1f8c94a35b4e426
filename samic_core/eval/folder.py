"""`--format folder`: one class, `ROOT/images/<stem>.*` with masks `ROOT/masks/<stem>.*`.

This is how Kvasir-SEG is distributed (images/ and masks/, JPEG masks) and the layout TSMU and
NWPU VHR-10 are converted to (docs/evaluation.md). A mask is binary (0 / 255, JPEG allowed:
>= 128 counts) or indexed (0 background, 1..n objects, grey or palette PNG): every non-zero
label is the class; each label's connected components are the ground-truth parts, so an indexed
instance mask gives one part per instance even where instances touch. A mask may hold at most
limits.MAX_LABELS labels, whose bounding boxes add up to at most limits.MAX_LABEL_SPREAD times
the mask (what reading it costs).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from samic_core.errors import FileProblem, SamicError
from samic_core.eval.datasets import (
    FewShotDataset,
    Sample,
    Target,
    _natural_key,
)
from samic_core.eval.labels import LOSSY_SUFFIXES, foreground, read_labels
from samic_core.eval.mask_io import (
    MIN_COMPONENT_AREA,
    mask_components,
    read_image,
)
from samic_core.export.limits import check_label_count, check_label_spread
from samic_core.fileio import IMAGE_EXTENSIONS


def label_components(labels: np.ndarray, path: Path) -> tuple[np.ndarray, int]:
    """Parts of a label mask: connected components of each non-zero label value.

    A JPEG mask is binary (its edges are noise, not labels). Each label's components are found
    within the label's bounding box, so many small instances cost little.
    """
    if path.suffix.lower() in LOSSY_SUFFIXES:
        return mask_components(foreground(labels, path), MIN_COMPONENT_AREA)
    values = np.unique(labels)
    objects = values[values > 0]
    check_label_count(path, len(objects))
    if len(values) <= 2:
        return mask_components(foreground(labels, path), MIN_COMPONENT_AREA)
    out = np.zeros(labels.shape, np.int32)
    n = box_area = 0
    for value in objects:
        pixels = labels == value
        x, y, w, h = cv2.boundingRect(pixels.view(np.uint8))
        box_area += w * h
        check_label_spread(path, box_area, labels.size)
        comps, k = mask_components(pixels[y : y + h, x : x + w], MIN_COMPONENT_AREA)
        box = out[y : y + h, x : x + w]
        box[comps > 0] = comps[comps > 0] + n
        n += k
    return out, n


@dataclass
class FolderDataset(FewShotDataset):
    """One class (the folder's name); ground truth from the mask with the image's stem."""

    def load(self, sample: Sample) -> Target:
        assert sample.mask_path is not None
        image = read_image(sample.image_path, sample.mask_path)
        labels = read_labels(sample.mask_path, image.shape[:2])
        mask = foreground(labels, sample.mask_path)
        components, n = label_components(labels, sample.mask_path)
        return Target(image, mask, components, n, None)


def read_folder(root: str | Path, class_name: str | None = None) -> FolderDataset:
    """`ROOT/images/` + `ROOT/masks/`, matched by file stem; every image needs a mask."""
    root = Path(root)
    images_dir, masks_dir = root / "images", root / "masks"
    if not images_dir.is_dir() or not masks_dir.is_dir():
        raise FileProblem(root, "is not an image + mask folder: it needs images/ and masks/")
    masks: dict[str, Path] = {}
    for p in sorted(masks_dir.iterdir()):
        if p.suffix.lower() in IMAGE_EXTENSIONS:
            if p.stem in masks:
                raise FileProblem(p, f"two masks have the stem {p.stem!r} ({masks[p.stem].name})")
            masks[p.stem] = p
    name = class_name or root.name
    samples = []
    for image in sorted(images_dir.iterdir(), key=_natural_key):
        if image.suffix.lower() not in IMAGE_EXTENSIONS:
            continue
        if image.stem not in masks:
            raise FileProblem(image, f"has no mask {image.stem}.* in {masks_dir}")
        samples.append(Sample(name, image, masks[image.stem]))
    if len(samples) < 2:
        raise SamicError(f"{images_dir}: a 1-shot episode needs at least 2 images with masks")
    return FolderDataset(root, "folder", [name], {name: samples})
