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

from samic_core.heatmap import Peak
from samic_core.jobs import Progress
from samic_core.model.transforms import image_to_tensor
from samic_core.peaks import PeakRule
from samic_core.peaks.join import combine_peaks, merge_peaks, radius_px
from samic_core.predict.predictor import ReferenceSet, SamicPredictor
from samic_core.tiles.crop import reference_crop
from samic_core.tiles.grid import Tile, TileGrid

__all__ = [
    "combine_peaks",
    "merge_peaks",
    "peaks_from_tile_maps",
    "radius_px",
    "reference_crop",
    "tile_maps",
    "tile_peaks",
    "tiled_peaks",
]

GPU_TILE_BATCH = 8  # target tiles per SAMIC pass on CUDA; 1 on a CPU, where a batch gains
# nothing and its learner pass costs gigabytes (8 tiles x 5 references: 4.7 GB measured)
LOW = 1e-6  # the per-tile threshold when the image-wide one is applied afterwards


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
