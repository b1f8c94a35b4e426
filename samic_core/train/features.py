"""Episode tensors in memory and a backbone-feature cache.

The backbone is frozen, flips are a fixed set of four pixel transforms and the scale/colour
variants a fixed seeded set per image (`augment.py`), so the features of each (image, flip,
variant) are the same every epoch: they are computed once per run and reused. Both the
cached and the uncached path compute features one image at a time with the same call, so the loss
is the same with or without the cache.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from samic_core.fileio import read_image_rgb
from samic_core.jobs import ShouldStop
from samic_core.model.samic_net import SamicNet
from samic_core.model.transforms import image_to_tensor, points_heatmap
from samic_core.train.augment import Variant, make_variants, warp_image, warp_points
from samic_core.train.episodes import AnnotatedImage, TrainingEpisode
from samic_core.train.erase import erase

log = logging.getLogger(__name__)

Flip = tuple[bool, bool]  # (horizontal, vertical)
View = tuple[Flip, int]  # a flip and a variant index (0 = the image itself)


def apply_flip(x: torch.Tensor, flip: Flip) -> torch.Tensor:
    """Flip the last two dims of (..., H, W): horizontal = W, vertical = H."""
    dims = [d for d, on in ((-1, flip[0]), (-2, flip[1])) if on]
    return torch.flip(x, dims) if dims else x


class EpisodeTensors:
    """Every training image at S x S (3, S, S) in [0, 1] and its heat map per class (S, S),
    and their `variants` scale/colour variants (drawn on use from the seeded set)."""

    def __init__(
        self,
        images: Sequence[AnnotatedImage],
        size: int,
        should_stop: ShouldStop | None = None,
        variants: int = 1,
        seed: int = 0,
    ) -> None:
        self.size = size
        self.images = list(images)
        self.variants: list[list[Variant]] = [
            make_variants(seed, i, variants) for i in range(len(self.images))
        ]
        self.pixels: list[torch.Tensor] = []
        self.heat: dict[tuple[int, str], torch.Tensor] = {}
        decoded: dict[Path, int] = {}  # an erased copy reuses its source image's pixels
        source: tuple[Path, np.ndarray] | None = None  # the last file read: tiles share it
        for i, image in enumerate(images):
            if should_stop is not None and should_stop():
                break
            if image.erased is not None and image.path in decoded:
                pixels = self.pixels[decoded[image.path]]
            else:
                if source is None or source[0] != image.path:
                    source = (image.path, read_image_rgb(image.path))
                rgb = source[1]
                if image.crop is not None:
                    y0, x0, y1, x1 = image.crop
                    rgb = rgb[y0:y1, x0:x1]
                pixels = image_to_tensor(rgb, size)
                decoded.setdefault(image.path, i)
            if image.erased is not None:  # a copy with that class's objects painted out
                pixels = erase(pixels, image.masks[image.erased])
            self.pixels.append(pixels)
            for c, pts in image.points.items():
                self.heat[(i, c)] = points_heatmap(pts, image.size, size)
            for c in image.empty_of:  # an empty target: the object is not in this image
                self.heat[(i, c)] = torch.zeros(size, size)

    def image(self, index: int, flip: Flip, variant: int = 0) -> torch.Tensor:
        return apply_flip(warp_image(self.pixels[index], self.variants[index][variant]), flip)

    def heatmap(self, index: int, class_name: str, flip: Flip, variant: int = 0) -> torch.Tensor:
        heat = self.heat[(index, class_name)]
        v = self.variants[index][variant]
        if not v.is_identity and class_name in self.images[index].points:
            image = self.images[index]
            moved = warp_points(image.points[class_name], image.size, v)
            heat = points_heatmap(moved, image.size, self.size) if len(moved) else heat * 0
        return apply_flip(heat, flip)


class FeatureBank:
    """Backbone features of (image, flip, variant) views, computed once when `enabled`.

    max_bytes caps the memory used: once full, further pairs are computed on every use.
    """

    def __init__(
        self,
        net: SamicNet,
        tensors: EpisodeTensors,
        device: torch.device,
        enabled: bool = True,
        max_bytes: int = 4 << 30,
    ) -> None:
        self.net = net
        self.tensors = tensors
        self.device = device
        self.enabled = enabled
        self.max_bytes = max_bytes
        self.nbytes = 0
        self.hits = 0
        self.misses = 0
        self._store: dict[tuple[int, Flip, int], list[torch.Tensor]] = {}
        self._full_warned = False

    def _compute(self, index: int, flip: Flip, variant: int) -> list[torch.Tensor]:
        image = self.tensors.image(index, flip, variant)[None].to(self.device)
        return self.net.extract(image)  # per layer (1, C, h, w)

    def get(self, index: int, flip: Flip, variant: int = 0) -> list[torch.Tensor]:
        key = (index, flip, variant)
        if key in self._store:
            self.hits += 1
            return self._store[key]
        self.misses += 1
        feats = self._compute(index, flip, variant)
        if self.enabled:
            size = sum(f.numel() * f.element_size() for f in feats)
            if self.nbytes + size <= self.max_bytes:
                self._store[key] = feats
                self.nbytes += size
            elif not self._full_warned:
                self._full_warned = True
                log.warning(
                    "feature cache full at %.1f GiB; the rest is recomputed every epoch",
                    self.nbytes / 2**30,
                )
        return feats

    def batch(self, keys: Sequence[tuple[int, Flip, int]]) -> list[torch.Tensor]:
        """Per-layer features of several image views, concatenated: (B, C, h, w) per layer."""
        per_image = [self.get(i, f, v) for i, f, v in keys]
        return [torch.cat(layer, 0) for layer in zip(*per_image, strict=True)]


def episode_batch(
    episodes: Sequence[TrainingEpisode], tensors: EpisodeTensors, bank: FeatureBank
) -> tuple[list[torch.Tensor], list[torch.Tensor], torch.Tensor, torch.Tensor]:
    """(target feats, reference feats, reference heat (B, S, S), target heat (B, S, S))."""
    target_feats = bank.batch([(e.target, e.target_flip, e.target_variant) for e in episodes])
    reference_feats = bank.batch(
        [(e.reference, e.reference_flip, e.reference_variant) for e in episodes]
    )
    ref_heat = torch.stack(
        [
            tensors.heatmap(e.reference, e.class_name, e.reference_flip, e.reference_variant)
            for e in episodes
        ]
    ).to(bank.device)
    target_heat = torch.stack(
        [tensors.heatmap(e.target, e.class_name, e.target_flip, e.target_variant) for e in episodes]
    ).to(bank.device)
    return target_feats, reference_feats, ref_heat, target_heat
