"""Convert a mask dataset (FSS-1000, PerSeg, synthetic) into a SAMBOX annotated folder.

SAMIC trains on SAMBOX folders. Each image is copied into one flat folder as
`<class>__<stem><ext>`; each connected component of its mask becomes one object of that class,
with the prompt rule's clicks as its positive points and its bounding box, as if an annotator
had clicked it in SAMBOX.

Every name is checked before anything is written: `<class>__<stem><ext>` must be a plain file
name (samic_core.safepath; the error names the file the class name came from), no two images
may get one name, and no image may be a link to a file outside the dataset.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np

from samic_core.annotation import AnnotatedObject, AnnotationStore, ImageAnnotation, Point
from samic_core.errors import FileProblem, SamicError
from samic_core.eval.datasets import FewShotDataset, Sample
from samic_core.eval.prompts import PromptRule
from samic_core.fileio import IMAGE_EXTENSIONS, atomic_path
from samic_core.jobs import Progress
from samic_core.safepath import check_inside, check_name, child


def export_sambox(
    dataset: FewShotDataset,
    out: str | Path,
    rule: PromptRule | None = None,
    classes: list[str] | None = None,
    progress: Progress | None = None,
    max_images_per_class: int | None = None,
    fraction: float | None = None,
) -> AnnotationStore:
    """Write `dataset` (or only `classes`) to the SAMBOX folder `out` (new or empty).

    max_images_per_class: only each class's first N images (natural name order); the paper
    trains SAMIC on 20 % of the training data, i.e. 2 of FSS-1000's 10 images per class.
    fraction: only each class's first ceil(fraction x n) images (the same 20 % for datasets
    whose classes have different image counts, e.g. COCO).
    """
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise SamicError(f"{out}: already exists and is not an empty folder")
    rule = rule or PromptRule()
    names = classes if classes is not None else dataset.classes
    unknown = [c for c in names if c not in dataset.samples]
    if unknown:
        raise SamicError(f"classes not in the dataset: {unknown[:5]}")
    if "__" in "".join(names):
        raise SamicError("class names with '__' cannot be exported (it separates class and name)")
    if max_images_per_class is not None and max_images_per_class < 1:
        raise SamicError(f"max images per class must be at least 1, got {max_images_per_class}")
    if fraction is not None and not 0 < fraction <= 1:
        raise SamicError(f"fraction must be in (0, 1], got {fraction}")
    samples = []
    for c in names:
        keep = dataset.samples[c][:max_images_per_class]
        if fraction is not None:
            keep = keep[: math.ceil(fraction * len(dataset.samples[c]))]
        samples += keep
    plan = _file_names(dataset, samples, out)
    out.mkdir(parents=True, exist_ok=True)
    store = AnnotationStore(out)
    store.ensure_classes(list(names))
    for i, (sample, name) in enumerate(zip(samples, plan, strict=True)):
        _export_one(dataset, sample, name, store, rule)
        if progress is not None:
            progress(i + 1, len(samples), sample.image_path.name)
    return store


def _file_names(dataset: FewShotDataset, samples: list[Sample], out: Path) -> list[str]:
    """Each sample's file name in `out`, all checked before anything is written."""
    source = dataset.names_file or dataset.root
    taken: dict[str, Path] = {}
    for sample in samples:
        check_name(source, "class name", sample.class_name)
        image = sample.image_path
        name = f"{sample.class_name}__{image.stem}{image.suffix.lower()}"
        child(out, name, source, "file name")
        if image.suffix.lower() not in IMAGE_EXTENSIONS:
            raise FileProblem(image, f"not an image SAMBOX opens (one of {IMAGE_EXTENSIONS})")
        check_inside(dataset.root, image, dataset.root, "image", repr(dataset.relative(image)))
        if name in taken:
            raise SamicError(f"{taken[name]} and {image} would both be copied to {out / name}")
        taken[name] = image
    return list(taken)


def _export_one(
    dataset: FewShotDataset, sample: Sample, name: str, store: AnnotationStore, rule: PromptRule
) -> None:
    target = dataset.load(sample)
    dest = store.image_folder / name
    with atomic_path(dest) as tmp:
        shutil.copyfile(sample.image_path, tmp)
    h, w = target.mask.shape
    instances = np.zeros((h, w), np.uint16)
    objects = []
    for k, (pixels, points) in enumerate(rule.component_points(target.mask), start=1):
        ys, xs = np.nonzero(pixels)
        instances[pixels] = k
        objects.append(
            AnnotatedObject(
                id=k,
                label=sample.class_name,
                points=[Point(x=float(x), y=float(y), positive=True) for x, y in points],
                box=[float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())],
            )
        )
    ann = ImageAnnotation(
        image=name,
        image_sha256=store.image_sha256(dest),
        width=w,
        height=h,
        objects=objects,
        done=True,
    )
    store.save(ann, instances)
