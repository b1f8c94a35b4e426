"""Training data from an annotated SAMBOX folder: per-class point sets, split, and episodes.

An episode pairs a reference image of a class (with the heat map of all its positive points of
that class) with another image of the same class as the target (paper sections 3.2 and 4.2).
Objects count as training data when annotated by hand, or predicted and then reviewed, at
their positive clicks (an object drawn without one, e.g. a polygon, at its mask's deepest point:
samic_core/annotation/mask_points.py). With `negatives`, an image the annotator marked done
without any object of a class is an empty target of that class (its heat map is zero): it
teaches the network to say "nothing here".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from samic_core.annotation import AnnotationStore
from samic_core.annotation.mask_points import object_points
from samic_core.annotation.masks import union_mask
from samic_core.annotation.models import AnnotatedObject, is_trusted
from samic_core.errors import SamicError

log = logging.getLogger(__name__)

MASK_SIDE = 256  # class masks for erased copies are kept MASK_SIDE square (aspect squeezed)
# Every class needs a reference and a different target image to make even one episode.
MIN_IMAGES_PER_CLASS = 2


@dataclass(frozen=True)
class AnnotatedImage:
    """One image's training points: class -> (N, 2) positive xy points in original pixels."""

    name: str
    path: Path
    size: tuple[int, int]  # (H, W) of the original image
    points: dict[str, np.ndarray]
    objects: dict[str, int]  # class -> number of training objects
    empty_of: tuple[str, ...] = ()  # classes this image (marked done) is known not to contain
    # class -> bool mask of all its objects (MASK_SIDE square), when every one has a mask
    masks: dict[str, np.ndarray] = field(default_factory=dict)
    erased: str | None = None  # a copy with this class's objects painted out (train/erase.py)
    # class -> (n, 3) per training object: the mean of its points (x, y) and its
    # radius sqrt(area / pi) in original pixels (0 when it has no mask); peak_fit matches to it
    sites: dict[str, np.ndarray] = field(default_factory=dict)
    done: bool = False  # marked done: every object of the image is annotated
    # (y0, x0, y1, x1): this is a tile of the image at `path` (train/tiling.py); None: all of it
    crop: tuple[int, int, int, int] | None = None


def scan_folder(
    folder: str | Path,
    classes: list[str] | None = None,
    out_dir: str | Path | None = None,
    negatives: bool = False,
    masks: bool = False,
) -> list[AnnotatedImage]:
    """Read every annotation of `folder` and keep the images with training objects.

    classes: keep only these classes (None = all). negatives: also keep images marked done
    that lack some class of the folder, as empty targets of those classes (only images done
    and with no object of that class at all, not even an unreviewed prediction). masks: keep,
    for images marked done, each class's union mask where every object of the class has one
    (for erased copies).
    Raises AnnotationError naming a bad file.
    """
    store = AnnotationStore(folder, out_dir)
    wanted = set(classes) if classes else None
    images: list[AnnotatedImage] = []
    done_labels: list[tuple[AnnotatedImage, set[str]]] = []
    for path in store.images():
        if not store.exists(path.name):
            continue
        loaded = store.load(path.name, verify_image=True)
        ann = loaded.annotation
        pts: dict[str, list[tuple[float, float]]] = {}
        counts: dict[str, int] = {}
        sites: dict[str, list[tuple[float, float, float]]] = {}
        areas = np.bincount(loaded.instances.ravel())
        for obj in ann.objects:
            if not is_trusted(obj) or (wanted is not None and obj.label not in wanted):
                continue
            xy = object_points(obj, loaded.instances)
            if not xy:  # neither a click nor a mask: nothing to learn (count_left_out says so)
                continue
            pts.setdefault(obj.label, []).extend(xy)
            counts[obj.label] = counts.get(obj.label, 0) + 1
            area = float(areas[obj.id]) if obj.id < len(areas) else 0.0
            cx, cy = np.mean(np.asarray(xy, np.float64), axis=0)
            sites.setdefault(obj.label, []).append((cx, cy, float(np.sqrt(area / np.pi))))
        image = AnnotatedImage(
            name=path.name,
            path=path,
            size=(ann.height, ann.width),
            points={c: np.asarray(v, np.float64).reshape(-1, 2) for c, v in pts.items()},
            objects=counts,
            sites={c: np.asarray(v, np.float64).reshape(-1, 3) for c, v in sites.items()},
            done=ann.done,
            # only a finished image is known to have every object annotated: a copy of a
            # half-annotated one would keep unlabelled objects under an "empty" label
            masks=_class_masks(loaded.instances, ann.objects, set(pts))
            if masks and ann.done
            else {},
        )
        if pts:
            images.append(image)
        if negatives and ann.done:
            done_labels.append((image, {o.label for o in ann.objects}))
    if negatives:
        known = {c for im in images for c in im.points}
        for image, labels in done_labels:
            empty_of = tuple(sorted(known - labels))
            if not empty_of:
                continue
            if image.points:
                images[images.index(image)] = replace(image, empty_of=empty_of)
            else:
                images.append(replace(image, empty_of=empty_of))
        images.sort(key=lambda im: im.name)
    return images


def _class_masks(
    instances: np.ndarray, objects: list[AnnotatedObject], classes: set[str]
) -> dict[str, np.ndarray]:
    present = set(np.unique(instances).tolist())
    out = {}
    for c in sorted(classes):
        ids = [o.id for o in objects if o.label == c]
        if ids and present.issuperset(ids):  # an object without a mask would stay in the copy
            out[c] = union_mask(instances, ids, MASK_SIDE)
    return out


def filter_classes(images: list[AnnotatedImage], classes: list[str]) -> list[AnnotatedImage]:
    """Keep only `classes` (SamicError naming any class that has no training objects)."""
    present = {c for im in images for c in im.points}
    missing = sorted(set(classes) - present)
    if missing:
        raise SamicError(
            f"no training objects of classes {missing}; the folder has {sorted(present)}"
        )
    out = []
    for im in images:
        pts = {c: v for c, v in im.points.items() if c in classes}
        empty_of = tuple(c for c in im.empty_of if c in classes)
        if pts or empty_of:
            objects = {c: n for c, n in im.objects.items() if c in classes}
            masks = {c: m for c, m in im.masks.items() if c in classes}
            out.append(replace(im, points=pts, objects=objects, empty_of=empty_of, masks=masks))
    return out


def count_training_data(
    folder: str | Path, out_dir: str | Path | None = None
) -> dict[str, tuple[int, int]]:
    """class -> (images, objects) that training would use, for the app's train dialog."""
    out: dict[str, tuple[int, int]] = {}
    for image in scan_folder(folder, out_dir=out_dir):
        for c, n in image.objects.items():  # images with objects only (no negatives asked)
            i, o = out.get(c, (0, 0))
            out[c] = (i + 1, o + n)
    return dict(sorted(out.items()))


def count_left_out(folder: str | Path, out_dir: str | Path | None = None) -> dict[str, int]:
    """class -> trusted objects that training cannot use: neither a positive click nor a mask.

    SAMIC learns where to click; an object without a click is learnt at its mask's deepest
    point, so only one without mask pixels (erased, or painted over by other objects) teaches
    it nothing; the app says so instead of leaving such objects out without a word. Reads the
    JSON files, and the instance masks of the images with unclicked objects only (no hashing).
    """
    store = AnnotationStore(folder, out_dir)
    out: dict[str, int] = {}
    for path in store.images():
        if not store.exists(path.name):
            continue
        objects = store.load_json(path.name).objects
        unclicked = [o for o in objects if is_trusted(o) and not o.positive_points]
        if not unclicked:
            continue
        present = set(np.unique(store.load(path.name, verify_image=False).instances).tolist())
        for obj in unclicked:
            if obj.id not in present:
                out[obj.label] = out.get(obj.label, 0) + 1
    return dict(sorted(out.items()))


def check_enough(images: list[AnnotatedImage], folder: str | Path) -> list[str]:
    """The classes to train on (sorted); SamicError when a class or the folder has too few."""
    per_class: dict[str, int] = {}
    for image in images:
        for c in image.points:
            per_class[c] = per_class.get(c, 0) + 1
    if not per_class:
        raise SamicError(
            f"{folder}: no annotated objects to train on; annotate at least "
            f"{MIN_IMAGES_PER_CLASS} images per class with SAMBOX (manual objects, or reviewed "
            f"predictions, with a click or a mask)"
        )
    few = {c: n for c, n in per_class.items() if n < MIN_IMAGES_PER_CLASS}
    if few:
        listed = ", ".join(f"{c!r} has {n}" for c, n in sorted(few.items()))
        raise SamicError(
            f"{folder}: too few annotated images: {listed}; every class needs at least "
            f"{MIN_IMAGES_PER_CLASS} annotated images (a reference and a target)"
        )
    return sorted(per_class)


@dataclass(frozen=True)
class Split:
    """Train and validation images; split by image so no image is in both."""

    train: list[AnnotatedImage]
    val: list[AnnotatedImage]


def split_by_image(images: list[AnnotatedImage], val_fraction: float, seed: int) -> Split:
    """Move a seeded random `val_fraction` of the images to validation.

    An image goes back to training when taking it would leave one of its classes with fewer
    than MIN_IMAGES_PER_CLASS training images, so small folders may get no validation at all.
    """
    if not 0.0 <= val_fraction < 1.0:
        raise SamicError(f"val_fraction must be in [0, 1), got {val_fraction}")
    # the tiles of one image (train/tiling.py) overlap: they go to one side together
    groups: dict[object, list[int]] = {}
    for i, image in enumerate(images):
        groups.setdefault(image.path if image.crop is not None else i, []).append(i)
    members = list(groups.values())
    order = np.random.default_rng(seed).permutation(len(members))
    n_val = int(round(val_fraction * len(members)))  # images, not tiles (one per image else)
    train_count: dict[str, int] = {}
    for image in images:
        for c in image.points:
            train_count[c] = train_count.get(c, 0) + 1
    val_idx: set[int] = set()
    taken = 0
    for g in order:
        if taken >= n_val:
            break
        group = members[g]
        need: dict[str, int] = {}
        for i in group:
            for c in images[i].points:
                need[c] = need.get(c, 0) + 1
        if all(train_count[c] - n >= MIN_IMAGES_PER_CLASS for c, n in need.items()):
            val_idx.update(group)
            taken += 1
            for c, n in need.items():
                train_count[c] -= n
    train = [im for i, im in enumerate(images) if i not in val_idx]
    val = [im for i, im in enumerate(images) if i in val_idx]
    return Split(train, val)


@dataclass(frozen=True)
class TrainingEpisode:
    """One training pair: indices into the image list of one target and one reference of
    `class_name` (evaluation's K-shot episodes are samic_core.eval.episodes.EvalEpisode).

    flips are (horizontal, vertical) for the target and the reference image; variants index
    each image's scale/colour variants (0 = the image itself, `augment.py`).
    """

    target: int
    reference: int
    class_name: str
    target_flip: tuple[bool, bool] = (False, False)
    reference_flip: tuple[bool, bool] = (False, False)
    target_variant: int = 0
    reference_variant: int = 0


def _by_class(indices: list[int], images: list[AnnotatedImage]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for i in indices:
        for c in images[i].points:
            out.setdefault(c, []).append(i)
    return out


def overlap(a: AnnotatedImage, b: AnnotatedImage) -> bool:
    """Whether two tiles of one image overlap: they share objects, so one must not be the
    other's reference (the network would learn to find the very same object)."""
    if a.crop is None or b.crop is None or a.path != b.path:
        return False
    ay0, ax0, ay1, ax1 = a.crop
    by0, bx0, by1, bx1 = b.crop
    return ay0 < by1 and by0 < ay1 and ax0 < bx1 and bx0 < ax1


def draw_training_episodes(
    images: list[AnnotatedImage],
    targets: list[int],
    references: list[int],
    rng: np.random.Generator,
    flips: bool = False,
    refs_per_target: int = 1,
    variants: int = 1,
) -> list[TrainingEpisode]:
    """Per (target image, class): `refs_per_target` distinct random other reference images,
    each view with random flips (`flips`) and one of `variants` scale/colour variants.

    Classes a target is an empty target of (`empty_of`) get episodes too, with a zero heat map.
    """
    refs = _by_class(references, images)
    episodes: list[TrainingEpisode] = []
    for t in targets:
        for c in sorted({*images[t].points, *images[t].empty_of}):
            pool = [r for r in refs.get(c, []) if r != t and not overlap(images[r], images[t])]
            if not pool:
                continue
            picks = (
                [int(rng.integers(len(pool)))]  # the paper schedule's draw, as before
                if refs_per_target == 1
                else rng.permutation(len(pool))[:refs_per_target]
            )
            for j in picks:
                tf = (bool(rng.integers(2)), bool(rng.integers(2))) if flips else (False, False)
                rf = (bool(rng.integers(2)), bool(rng.integers(2))) if flips else (False, False)
                tv, rv = (0, 0)
                if variants > 1:
                    tv, rv = (int(v) for v in rng.integers(variants, size=2))
                episodes.append(TrainingEpisode(t, pool[int(j)], c, tf, rf, tv, rv))
    return episodes


def train_episodes(
    images: list[AnnotatedImage],
    split: Split,
    seed: int,
    epoch: int,
    flips: bool,
    refs_per_target: int = 1,
    min_episodes: int = 1,
    variants: int = 1,
) -> list[TrainingEpisode]:
    """The shuffled episodes of one epoch; a function of (seed, epoch) so resuming repeats it.

    refs_per_target references per target, raised on small folders until the epoch holds at
    least `min_episodes` pairs (or every pair there is).
    """
    index = {im.name: i for i, im in enumerate(images)}
    train = [index[im.name] for im in split.train]
    rng = np.random.default_rng([seed, epoch])
    per_target = max(1, sum(len({*images[t].points, *images[t].empty_of}) for t in train))
    refs = max(refs_per_target, -(-min_episodes // per_target))
    episodes = draw_training_episodes(images, train, train, rng, flips, refs, variants)
    order = rng.permutation(len(episodes))
    return [episodes[i] for i in order]


def val_episodes(
    images: list[AnnotatedImage], split: Split, seed: int, refs_per_target: int = 1
) -> list[TrainingEpisode]:
    """Fixed validation episodes: validation targets with references from any other image."""
    index = {im.name: i for i, im in enumerate(images)}
    val = [index[im.name] for im in split.val]
    rng = np.random.default_rng([seed, 1_000_003])
    return draw_training_episodes(
        images, val, list(range(len(images))), rng, False, refs_per_target
    )
