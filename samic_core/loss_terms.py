"""The loss terms' names, without torch: one vocabulary for the schedules, the CLI and model files.

`kld`, `cc` and `nss` are the paper's loss (section 3.5; table 6 ablates them); `bce` and `level`
(BCE on the prompts' own pixels: the map's level where the object is) are the terms the `auto`
schedule adds (samic_core/train/losses.py says why); `hard` is BCE on each map's strongest
background pixels (hard negatives: look-alikes), measured in docs/model.md. The model
file records the terms a model was trained with, and its metadata is read without torch
(samic_core/modelfile/meta.py) and below training, so the names live here rather than beside
the loss functions.
"""

from __future__ import annotations

from collections.abc import Iterable

LOSS_TERMS = ("kld", "cc", "nss", "bce", "hard", "level")  # every term, in the canonical order
SHAPE_TERMS = ("kld", "cc", "nss")  # the map's shape only
OBJECT_TERMS = (*SHAPE_TERMS, "level")  # undefined on an empty target (see losses.loss_terms)
PAPER_TERMS = SHAPE_TERMS  # the paper's loss, the `paper` schedule's terms
DEFAULT_TERMS = ("kld", "cc", "nss", "bce", "level")  # the `auto` schedule's terms


def check_loss_terms(terms: Iterable[str]) -> tuple[str, ...]:
    """Validated loss terms in canonical order; ValueError names the bad input."""
    terms = tuple(terms)
    bad = [t for t in terms if t not in LOSS_TERMS]
    if bad or not terms:
        raise ValueError(
            f"loss terms must be a non-empty subset of {','.join(LOSS_TERMS)}, got "
            f"{','.join(terms) or 'none'}"
        )
    return tuple(t for t in LOSS_TERMS if t in terms)


def parse_loss_terms(text: str) -> tuple[str, ...]:
    """'nss, kld' -> ('kld', 'nss'); ValueError on an unknown or empty list."""
    return check_loss_terms(t.strip() for t in text.split(",") if t.strip())
