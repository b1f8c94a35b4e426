"""Erased copies: training images with a class's objects painted out, as empty targets.

Few folders hold images marked done without the object, yet an image without it must get no
prompt. Every training image whose objects of a class all have masks gives one more target: the
same picture with those objects filled in from their surroundings (OpenCV's Telea inpainting on
the training-size tensor) and a zero heat map. It teaches the map and the presence gate
(model/presence.py) that the scene without the object is "nothing here", where the object's
look-alikes stay. Measured in docs/model.md ("Images without the object").
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import torch

from samic_core.train.episodes import AnnotatedImage, Split

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


def with_erased(images: list[AnnotatedImage], split: Split) -> tuple[list[AnnotatedImage], Split]:
    """The images and split with every image's erased copies beside it, in its own part of the
    split (a validation image's copy must not train)."""
    train, val = erased_copies(split.train), erased_copies(split.val)
    return images + train + val, replace(split, train=split.train + train, val=split.val + val)


def erase(image: torch.Tensor, mask: np.ndarray) -> torch.Tensor:
    """(3, S, S) in [0, 1] + bool mask (any size) -> the image with the masked region inpainted."""
    s = int(image.shape[-1])
    m = cv2.resize(mask.astype(np.uint8), (s, s), interpolation=cv2.INTER_NEAREST)
    k = 2 * max(1, round(GROW * s)) + 1
    m = cv2.dilate(m, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    rgb = np.ascontiguousarray((image.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8))
    filled = cv2.inpaint(rgb, m, INPAINT_RADIUS, cv2.INPAINT_TELEA)
    return torch.from_numpy(filled).permute(2, 0, 1).float() / 255
