"""Erased copies: training images with a class's objects painted out, as empty targets.

Few folders hold images marked done without the object, yet an image without it must get no
prompt. Every training image whose objects of a class all have masks gives one more target: the
same picture with those objects filled in from their surroundings (OpenCV's Telea inpainting on
the training-size tensor). It teaches the presence gate (model/presence.py) that the scene
without the object, where the object's look-alikes stay, is "nothing here". Only the gate: it
needs backbone features alone, so the copies cost no learner pass, and the map learns exactly
what it learns without them (as full targets they cost recall: docs/model.md, "Images without
the object").
"""

from __future__ import annotations

import cv2
import numpy as np
import torch

from samic_core.train.episodes import (
    AnnotatedImage,
    Split,
    TrainingEpisode,
    draw_training_episodes,
)

GROW = 1 / 48  # the mask is grown by this fraction of the side: objects' soft edges go too
INPAINT_RADIUS = 3


def erased_copies(images: list[AnnotatedImage]) -> list[AnnotatedImage]:
    """One empty target per (image, class) with an erasable mask (`AnnotatedImage.masks`)."""
    out = []
    for im in images:
        for c in sorted(im.masks):
            out.append(
                AnnotatedImage(
                    name=f"{im.name} without {c}",
                    path=im.path,
                    size=im.size,
                    points={},
                    objects={},
                    empty_of=(c,),
                    erased=c,
                    masks={c: im.masks[c]},
                )
            )
    return out


def with_erased(
    images: list[AnnotatedImage], split: Split
) -> tuple[list[AnnotatedImage], list[int]]:
    """The images with the erased copies of the training images appended, and the copies'
    indices. Copies stay out of the split: they are never a reference, and they train the
    presence gate only (`gate_episodes`), so the map learns exactly what it would without them."""
    copies = erased_copies(split.train)
    return images + copies, list(range(len(images), len(images) + len(copies)))


def gate_episodes(
    images: list[AnnotatedImage],
    erased: list[int],
    split: Split,
    seed: int,
    epoch: int,
    flips: bool,
    refs_per_target: int,
    steps: int,
) -> list[list[TrainingEpisode]]:
    """One epoch's episodes of the erased copies as targets, spread over its `steps` steps;
    a function of (seed, epoch), drawn apart from the map's episodes so that those stay as
    they are without copies."""
    index = {im.name: i for i, im in enumerate(images)}
    references = [index[im.name] for im in split.train]
    rng = np.random.default_rng([seed, epoch, 7_919])
    episodes = draw_training_episodes(images, erased, references, rng, flips, refs_per_target)
    order = rng.permutation(len(episodes))
    return [[episodes[i] for i in part] for part in np.array_split(order, max(steps, 1))]


def erase(image: torch.Tensor, mask: np.ndarray) -> torch.Tensor:
    """(3, S, S) in [0, 1] + bool mask (any size) -> the image with the masked region inpainted."""
    s = int(image.shape[-1])
    m = cv2.resize(mask.astype(np.uint8), (s, s), interpolation=cv2.INTER_NEAREST)
    k = 2 * max(1, round(GROW * s)) + 1
    m = cv2.dilate(m, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    rgb = np.ascontiguousarray((image.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8))
    filled = cv2.inpaint(rgb, m, INPAINT_RADIUS, cv2.INPAINT_TELEA)
    return torch.from_numpy(filled).permute(2, 0, 1).float() / 255
