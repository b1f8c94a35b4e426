"""SAMIC on big images in tiles: references cut around their objects, targets cut into a grid,
peaks gathered in image pixels, one prompt per object also on the cuts.

A model trained on tiles (train/tiling.py; `ModelMeta.tile`) sees its references and targets at
the scale it learnt. Each target tile gets its K-shot map; the `nms` rule's threshold is taken
relative to the strongest peak of the whole image, as on a whole image, so a tile holding only
look-alikes does not get prompts of its own weak maxima. Peaks found twice in the strips that
neighbouring tiles share are one object: the weaker of two peaks closer than the rule's
suppression radius is dropped, across tiles as within one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

import numpy as np
import torch

from samic_core.heatmap import SIGMA, Peak
from samic_core.jobs import Progress
from samic_core.model.transforms import image_to_tensor
from samic_core.peaks import PeakRule
from samic_core.predict.predictor import ReferenceSet, SamicPredictor
from samic_core.tiles.grid import Tile, TileGrid

GPU_TILE_BATCH = 8  # target tiles per SAMIC pass on CUDA; 1 on a CPU, where a batch gains
# nothing and its learner pass costs gigabytes (8 tiles x 5 references: 4.7 GB measured)
LOW = 1e-6  # the per-tile threshold when the image-wide one is applied afterwards


def reference_crop(
    image: np.ndarray, points: np.ndarray, side: int
) -> tuple[np.ndarray, np.ndarray]:
    """A side x side crop of a reference image around its objects, and the (N, 2) xy points in
    it: the window, centred on one of the points, that holds the most of them (an image no
    bigger than `side` is returned whole)."""
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    h, w = image.shape[:2]
    if max(h, w) <= side:
        return image, pts
    th, tw = min(side, h), min(side, w)
    best: tuple[int, Tile] | None = None
    for x, y in pts:
        x0 = int(np.clip(round(x - tw / 2), 0, w - tw))
        y0 = int(np.clip(round(y - th / 2), 0, h - th))
        tile = Tile(y0, x0, y0 + th, x0 + tw)
        n = int(tile.contains(pts).sum())
        if best is None or n > best[0]:
            best = (n, tile)
    assert best is not None
    tile = best[1]
    return np.ascontiguousarray(image[tile.slices]), tile.to_tile(pts[tile.contains(pts)])


def radius_px(rule: PeakRule, side: int) -> float:
    """The rule's suppression radius in pixels of a map of `side` (its own or 2 sigma)."""
    return (rule.radius if rule.radius is not None else 2 * SIGMA) * side


def merge_peaks(peaks: Sequence[Peak], radius: float) -> list[Peak]:
    """Strongest first; a peak within `radius` px of a stronger one kept is dropped."""
    kept: list[Peak] = []
    for p in sorted(peaks, key=lambda p: -p.score):
        if all((p.x - k.x) ** 2 + (p.y - k.y) ** 2 > radius**2 for k in kept):
            kept.append(p)
    return kept


def tiled_peaks(
    predictor: SamicPredictor,
    pixels: np.ndarray,
    grid: TileGrid,
    refs: Sequence[ReferenceSet],
    rules: Sequence[PeakRule],
    progress: Progress | None = None,
) -> list[list[Peak]]:
    """Per reference set (class) its peaks on the (H, W, 3) image `pixels`, in image pixels,
    strongest first; rules: each set's rule (radius filled). progress(tiles done, tiles,
    "tiles") after each batch of tiles (an exception it raises stops the work)."""
    found: list[list[Peak]] = [[] for _ in rules]
    for part in _tile_batches(predictor, pixels, grid, refs, progress):  # maps not kept
        for c, rule in enumerate(rules):
            found[c] += tile_peaks(predictor, [(t, m[c]) for t, m in part], rule)
    return [combine_peaks(found[c], rule, grid.size) for c, rule in enumerate(rules)]


TileMaps = list[tuple[Tile, torch.Tensor]]  # each tile and its per-reference maps (K, S, S)


def _tile_batches(
    predictor: SamicPredictor,
    pixels: np.ndarray,
    grid: TileGrid,
    refs: Sequence[ReferenceSet],
    progress: Progress | None,
) -> Iterator[list[tuple[Tile, list[torch.Tensor]]]]:
    """A batch of tiles at a time: each tile with its maps (K, S, S) per reference set."""
    tiles = list(grid)
    batch = GPU_TILE_BATCH if predictor.device.type == "cuda" else 1
    for start in range(0, len(tiles), batch):
        part = tiles[start : start + batch]
        targets = torch.stack([image_to_tensor(pixels[t.slices], predictor.image_size)
                               for t in part])  # fmt: skip
        maps = predictor.class_heatmaps_torch(targets.to(predictor.device), list(refs))
        yield [(tile, [maps[c][i] for c in range(len(refs))]) for i, tile in enumerate(part)]
        if progress is not None:
            progress(start + len(part), len(tiles), "tiles")


def tile_maps(
    predictor: SamicPredictor,
    pixels: np.ndarray,
    grid: TileGrid,
    refs: Sequence[ReferenceSet],
    progress: Progress | None = None,
) -> list[TileMaps]:
    """Per reference set, every tile's output maps, all kept (about 1 MB a tile at K = 5):
    compute once, then try several rules (`peaks_from_tile_maps`; the benchmarks do)."""
    out: list[TileMaps] = [[] for _ in refs]
    for part in _tile_batches(predictor, pixels, grid, refs, progress):
        for c in range(len(refs)):
            out[c] += [(tile, m[c]) for tile, m in part]
    return out


def tile_peaks(predictor: SamicPredictor, maps: TileMaps, rule: PeakRule) -> list[Peak]:
    """Each tile's own peaks in image pixels (for the `nms` rule with only its floor: the
    threshold is the image's, applied by `combine_peaks`)."""
    local = replace(rule, threshold=LOW) if rule.method == "nms" else rule
    return [
        replace(p, x=p.x + tile.x0, y=p.y + tile.y0)
        for tile, m in maps
        for p in predictor.peaks_from_maps(m, tile.hw, local)
    ]


def peaks_from_tile_maps(
    predictor: SamicPredictor, maps: TileMaps, rule: PeakRule, side: int
) -> list[Peak]:
    """One class's peaks from all its tiles' maps under `rule` (radius filled), in image pixels
    (what `tiled_peaks` gives for them)."""
    return combine_peaks(tile_peaks(predictor, maps, rule), rule, side)


def combine_peaks(peaks: Sequence[Peak], rule: PeakRule, side: int) -> list[Peak]:
    """Every tile's peaks (image pixels) -> the image's: the `nms` rule's threshold applied
    relative to the image's strongest peak, then peaks within the rule's radius (in tiles of
    `side` px) of a stronger one dropped."""
    kept = list(peaks)
    if rule.method == "nms" and kept:
        level = max(rule.floor, rule.threshold * max(p.score for p in kept))
        kept = [p for p in kept if p.score >= level]
    return merge_peaks(kept, radius_px(rule, side))
