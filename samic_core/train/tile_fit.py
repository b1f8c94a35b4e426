"""Fit the peak rule of a model trained on tiles on its validation images whole, as prediction
sees them.

Prediction looks at a big image through a tile grid and takes the `nms` threshold relative to
the strongest peak of the whole image (predict/tiled.py). The validation tiles of training are
thresholded each against its own strongest peak, and most tiles of an image, those holding
look-alikes only, are not among them: a fit on them loosened the rule and cost precision on new
images (docs/model.md, "Big images"). So at the end of training every image whose tiles went to
the validation side is looked at whole: cut into the grid prediction uses, each tile's K-shot
map taken against references cut around their objects from the training images at the model's
tile side (as `samic predict` does), and every rule of the grid (peak_fit.rule_grid) scored on
these maps, matched to the annotated objects as in peak_fit. A tile's map gives its peaks
under each floor of the grid and is dropped (the threshold applies image-wide, when the peaks
are joined), so the fit holds one tile's maps and one image's pixels at a time.

A whole big image shows hundreds of objects and how often look-alikes fire, so this fit may
make the rule stricter than the default as well as looser. It needs MIN_OBJECTS: at 50 objects
one standard error of a recall or precision near 0.9 is sqrt(0.9 x 0.1 / 50) = 0.04, less than
the 0.03-0.09 of precision that one step of the grid's threshold (0.3 -> 0.4 -> 0.5) moved on
the big-image benchmark; a few objects chose stricter rules on noise (the task suite's
three-image fits, docs/model.md). Below it the default stays.

`train` may not import `predict` (the layers in pyproject.toml): the reference window
(tiles/crop.py) and the join of tiles' peaks (peaks/join.py) are shared below both; the look at
each tile is repeated here on the network's features, and tests/samic/test_tile_fit.py checks
it gives what predict/tiled.py gives.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

import numpy as np
import torch

from samic_core.config import DEFAULT_SHOTS
from samic_core.errors import SamicError
from samic_core.fileio import read_image_rgb
from samic_core.heatmap import Peak
from samic_core.jobs import ShouldStop
from samic_core.model.samic_net import SamicNet
from samic_core.model.transforms import image_to_tensor, points_heatmap
from samic_core.peaks import PeakRule, find_peaks
from samic_core.peaks.join import combine_peaks, threshold_peaks
from samic_core.precision import DEFAULT_PRECISION, Precision, autocast, resolve_precision
from samic_core.tiles.crop import reference_crop
from samic_core.tiles.grid import Tile
from samic_core.tiles.spec import samic_grid
from samic_core.train.episodes import AnnotatedImage, Split
from samic_core.train.peak_fit import PeakFit, Tally, choose_rule, rule_grid, tally

log = logging.getLogger(__name__)

MIN_OBJECTS = 50  # fewer validation objects: the default rule stays (see the module doc)
# the grid's rules at most this one, stricter and looser than the default: the grid measured on
# the big-image benchmark (thresholds 0.05-0.5, floors 0.01-0.3)
GRID = PeakRule(threshold=0.5, floor=0.3)
MAX_TILES = 300  # validation images are taken until this many tiles (about three 12 MP images
# at 448 px; 1.5-4 min on a 2-core CPU): bounds the fit's time on a big folder
LOW = 1e-6  # each tile's own threshold: the image-wide one is applied when its peaks are joined


@dataclass(frozen=True)
class References:
    """One class's K references as the network reads them (predict's ReferenceSet)."""

    feats: list[torch.Tensor]
    heat: torch.Tensor  # (K, S, S)
    object_radius: float | None  # median object radius, a share of the reference's side


@dataclass(frozen=True)
class Looked:
    """One validation image and class: each floor's peaks of every tile (image pixels, the
    image-wide threshold not applied yet), and the image's objects of the class."""

    peaks: dict[float, list[Peak]]
    sites: np.ndarray  # (n, 3) x, y, radius; n = 0: the image lacks the class
    side: int  # the side (px) one map covers: the tile's, or the whole image's longer side
    tiled: bool  # peaks of neighbouring tiles are merged (a whole image's are not)
    object_radius: float | None  # the references' (sets the rule's suppression radius)


class Stopped(Exception):
    """Raised between tiles when the run is cancelled."""


def split_originals(
    originals: list[AnnotatedImage], split: Split
) -> tuple[list[AnnotatedImage], list[AnnotatedImage]]:
    """(training, validation) images whole: those whose tiles went to each side of the split."""
    train, val = {im.path for im in split.train}, {im.path for im in split.val}
    return [o for o in originals if o.path in train], [o for o in originals if o.path in val]


@torch.no_grad()
def encode_references(
    net: SamicNet, images: list[AnnotatedImage], class_name: str, side: int, shots: int,
    precision: Precision,
) -> References:  # fmt: skip
    """The references `samic predict` takes of `class_name` from these images (at least one
    has it): done images first, then by name (predict/references.py), up to `shots`, each the
    window of `side` px around its objects."""
    chosen = sorted((im for im in images if class_name in im.points),
                    key=lambda im: (not im.done, im.name.lower()))[:shots]  # fmt: skip
    if not chosen:
        raise ValueError(f"no reference image of {class_name!r}")
    s, device = net.image_size, net.device
    feats, heats, radii = [], [], []
    for im in chosen:
        crop, pts = reference_crop(read_image_rgb(im.path), im.points[class_name], side)
        with autocast(device, precision):
            feats.append(net.extract(image_to_tensor(crop, s)[None].to(device)))
        heats.append(points_heatmap(pts, crop.shape[:2], s))
        r = im.sites[class_name][:, 2]
        if (r > 0).any():  # a share of the window's side
            radii.append(float(np.median(r[r > 0])) / min(side, max(im.size)))
    return References(
        [torch.cat(layer, 0) for layer in zip(*feats, strict=True)],
        torch.stack(heats).to(device),
        float(np.median(radii)) if radii else None,
    )


@torch.no_grad()
def tile_heat(
    net: SamicNet, pixels: np.ndarray, refs: list[References], precision: Precision
) -> list[np.ndarray]:
    """Per class, the K-shot map (S, S) of these pixels: the mean of the network's outputs
    against each reference (what the `nms` rule reads)."""
    device = net.device
    with autocast(device, precision):
        target = net.extract(image_to_tensor(pixels, net.image_size)[None].to(device))
    out = []
    for r in refs:
        k = int(r.heat.shape[0])
        with autocast(device, precision):
            logits = net.forward_features([f.repeat_interleave(k, 0) for f in target],
                                          r.feats, r.heat)  # fmt: skip
        out.append(net.to_heatmap(logits.float()).mean(0).float().cpu().numpy())
    return out


def join_peaks(peaks: list[Peak], rule: PeakRule, side: int | None) -> list[Peak]:
    """predict/tiled.py's join of its tiles' peaks (peaks/join.py); side None (a whole image)
    merges nothing: its map's nms did."""
    if side is None:
        return sorted(threshold_peaks(peaks, rule), key=lambda p: -p.score)
    return combine_peaks(peaks, rule, side)


def look_at(
    net: SamicNet,
    image: AnnotatedImage,
    refs: dict[str, References],
    tile: int,
    floors: list[float],
    base: PeakRule,
    precision: Precision,
    stop: ShouldStop,
) -> list[Looked]:
    """The image through the grid prediction uses (whole when one tile would cover it): per
    class of `refs` it has or lacks, every tile's peaks under each floor."""
    classes = [c for c in sorted({*image.points, *image.empty_of}) if c in refs]
    pixels = read_image_rgb(image.path)
    hw = (int(pixels.shape[0]), int(pixels.shape[1]))
    grid = samic_grid("auto", hw, tile)
    tiles = list(grid) if grid is not None else [Tile(0, 0, *hw)]
    peaks: list[dict[float, list[Peak]]] = [{f: [] for f in floors} for _ in classes]
    for t in tiles:
        if stop():
            raise Stopped
        heats = tile_heat(net, pixels[t.slices], [refs[c] for c in classes], precision)
        for c, heat, found in zip(classes, heats, peaks, strict=True):
            for f in floors:
                rule = replace(base, threshold=LOW, floor=f)
                rule = rule.with_object_radius(refs[c].object_radius)
                found[f] += [replace(p, x=p.x + t.x0, y=p.y + t.y0)
                             for p in find_peaks(heat, t.hw, rule)]  # fmt: skip
    side = grid.size if grid is not None else max(hw)
    no_sites = np.zeros((0, 3))
    return [
        Looked(
            found,
            image.sites.get(c, no_sites) if c in image.points else no_sites,
            side,
            grid is not None,
            refs[c].object_radius,
        )  # fmt: skip
        for c, found in zip(classes, peaks, strict=True)
    ]


def score_rules(looked: list[Looked], rules: list[PeakRule]) -> list[Tally]:
    """Each rule's peaks on the images looked at, matched to their objects (peak_fit.tally)."""
    totals = []
    for rule in rules:
        total = Tally()
        for one in looked:
            r = rule.with_object_radius(one.object_radius)
            kept = join_peaks(one.peaks[rule.floor], r, one.side if one.tiled else None)
            xy = np.array([[p.x, p.y] for p in kept], np.float64).reshape(-1, 2)
            total += tally(xy, one.sites, one.side)
        totals.append(total)
    return totals


def tile_count(size: tuple[int, int], tile: int) -> int:
    """How many tiles prediction looks at an image of `size` (H, W) through."""
    grid = samic_grid("auto", size, tile)
    return 1 if grid is None else len(grid)


def fit_on_whole_images(
    net: SamicNet,
    originals: list[AnnotatedImage],
    split: Split,
    tile: int,
    stop: ShouldStop | None = None,
    shots: int = DEFAULT_SHOTS,
    base: PeakRule = PeakRule(),
) -> PeakFit | None:
    """The peak rule of a model trained on `tile` px tiles, fitted on its validation images
    whole (see the module doc); None (the default stays) with fewer than MIN_OBJECTS objects,
    or when `stop` says so."""
    stop = stop or (lambda: False)
    train, val = split_originals(originals, split)
    precision = resolve_precision(DEFAULT_PRECISION, net.device)
    chosen: list[AnnotatedImage] = []
    tiles = 0
    for im in val:
        if tiles >= MAX_TILES:
            break
        chosen.append(im)
        tiles += tile_count(im.size, tile)
    known = {c for im in train for c in im.points}  # classes that have references
    objects = sum(len(im.sites.get(c, ())) for im in chosen for c in im.points if c in known)
    if objects < MIN_OBJECTS:
        log.info("peak rule: the default kept for a model of tiles (%d validation objects, "
                 "under %d)", objects, MIN_OBJECTS)  # fmt: skip
        return None
    net.eval()
    needed = sorted({c for im in chosen for c in (*im.points, *im.empty_of)} & known)
    try:
        refs = {c: encode_references(net, train, c, tile, shots, precision) for c in needed}
    except (SamicError, OSError) as e:  # read when training began; gone or changed since
        log.warning("peak rule: the default kept (a reference cannot be read: %s)", e)
        return None
    log.info("peak rule: fitting on %d validation images whole (%d tiles of %d px, %d objects)",
             len(chosen), tiles, tile, objects)  # fmt: skip
    started = time.perf_counter()
    grid = rule_grid(replace(GRID, radius=base.radius, max_peaks=base.max_peaks))
    if base not in grid:  # choose_rule falls back on it
        grid.append(base)
    floors = sorted({r.floor for r in grid})
    looked: list[Looked] = []
    for im in chosen:
        try:
            found = look_at(net, im, refs, tile, floors, base, precision, stop)
        except (SamicError, OSError) as e:  # read when training began; gone or changed since
            log.warning("peak rule: %s left out of the fit: %s", im.name, e)
            continue
        except Stopped:
            log.info("peak rule: the default kept (cancelled during the fit)")
            return None
        looked += found
    if sum(one.sites.shape[0] for one in looked) < MIN_OBJECTS:
        return None
    scored = list(zip(grid, score_rules(looked, grid), strict=True))
    fit = choose_rule(scored, base, len(looked))
    log.info("peak rule: fitted on whole images in %.0f s", time.perf_counter() - started)
    return fit
