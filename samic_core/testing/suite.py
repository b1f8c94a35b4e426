"""The task-family suite: write a family's folders, score a model's prompts on them.

Per family and seed, `write_task` writes three SAMBOX folders under a root:

    train/   the training folder (a share of its images holds look-alikes only, marked done)
    test/    new images with targets (and look-alikes), scored for recall, precision, oracle IoU
    alike/   new images with look-alikes only: a prompt there is a false one

`score_task` prompts every test and look-alike-only image K-shot, with references drawn
(seeded) from the training folder as a user's folder would offer them, and scores the points
against the instance masks (samic_core.testing.prompt_scores). The copy baseline pastes the
first reference's clicks onto the target.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from samic_core.annotation import AnnotationStore
from samic_core.fileio import read_image_rgb
from samic_core.peaks import PeakRule
from samic_core.predict.predictor import SamicPredictor
from samic_core.predict.references import reference_object_radius
from samic_core.testing.families import LOOKALIKE_FAMILIES, write_family
from samic_core.testing.multi_instance import MultiInstanceSpec, write_folder
from samic_core.testing.photo_task import write_photo
from samic_core.testing.prompt_scores import PromptScores

FAMILIES = (*LOOKALIKE_FAMILIES, "photo", "discs")
LABEL = "target"


def write_task(
    family: str, root: str | Path, seed: int, n_train: int = 16, n_test: int = 16, n_alike: int = 8
) -> None:
    """Write root/train, root/test and root/alike of `family` for `seed`."""
    root = Path(root)
    if family == "photo":
        write_photo(root / "train", n_train, seed, split=0)
        write_photo(root / "test", n_test, seed, split=1)
        return  # the photograph has no look-alike-only crops
    if family == "discs":
        write_folder(root / "train", n_train, MultiInstanceSpec(empty=0.125), seed=seed)
        write_folder(root / "test", n_test, MultiInstanceSpec(empty=0.0), seed=seed + 10_000)
        write_folder(root / "alike", n_alike, MultiInstanceSpec(empty=1.0), seed=seed + 20_000)
        return
    write_family(family, root / "train", n_train, seed, empty=0.125, split=0)
    write_family(family, root / "test", n_test, seed, empty=0.0, split=1)
    write_family(family, root / "alike", n_alike, seed, empty=1.0, split=2)


def training_references(store: AnnotationStore, label: str) -> list[tuple[Path, np.ndarray]]:
    """Every training image with clicked objects of `label`: (path, (N, 2) xy points)."""
    refs = []
    for path in store.images():
        ann = store.load_json(path.name)
        pts = [(p.x, p.y) for o in ann.objects if o.label == label for p in o.positive_points]
        if pts:
            refs.append((path, np.asarray(pts, np.float64)))
    return refs


def score_task(
    predictor: SamicPredictor,
    root: str | Path,
    rules: Mapping[str, PeakRule | None],
    seed: int,
    shots: int,
    label: str = LABEL,
) -> dict[str, PromptScores]:
    """{rule name: scores} over root/test and root/alike, plus "copy". A rule of None is the
    model's own default (what `samic predict` uses)."""
    root = Path(root)
    train = AnnotationStore(root / "train")
    refs = training_references(train, label)
    rng = np.random.default_rng([seed, 4_242])
    out = {name: PromptScores() for name in [*rules, "copy"]}
    for folder in ("test", "alike"):
        if not (root / folder).is_dir():
            continue
        store = AnnotationStore(root / folder)
        for path in store.images():
            instances = store.load(path.name).instances
            chosen = [refs[int(i)] for i in rng.choice(len(refs), min(shots, len(refs)), False)]
            radii = [reference_object_radius(train, p.name, label) for p, _ in chosen]
            known = [r for r in radii if r is not None]
            predictor.set_references(
                [read_image_rgb(p) for p, _ in chosen],
                [pts for _, pts in chosen],
                float(np.median(known)) if known else None,
            )
            image = read_image_rgb(path)
            maps = predictor.target_maps(image)  # once; each rule reads the map it wants
            for name, rule in rules.items():
                peaks = predictor.peaks_from_maps(maps, image, predictor.rule_for(rule))
                out[name].add(np.array([[p.x, p.y] for p in peaks]).reshape(-1, 2), instances)
            out["copy"].add(chosen[0][1], instances)
    return out
