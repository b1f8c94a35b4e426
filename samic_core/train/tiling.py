"""Training on tiles of big images: each annotated image becomes the tiles of a grid.

Small objects in big images vanish at SAMIC's 224 px input; cut into tiles sized so an object
spans the share of the input it does in ordinary images (samic_core/tiles/spec.py), they keep
their look. A tile holding objects is a training image with the objects whose centre lies in
it; a tile without any, of an image marked done, is an empty target (it teaches "nothing
here", e.g. on look-alikes). At most MAX_OBJECT_TILES tiles with objects are kept, taken in
turn from every image, the most crowded first (every image gives at least one, also past the
cap), and a quarter as many empty ones, so an epoch stays as long as one over an ordinary
folder.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from samic_core.tiles.grid import Tile, TileGrid
from samic_core.tiles.spec import TileSpec, samic_overlap, samic_train_tile
from samic_core.train.episodes import AnnotatedImage

MAX_OBJECT_TILES = 48
EMPTY_SHARE = 0.25  # empty tiles kept per tile with objects


def object_diameters(images: list[AnnotatedImage]) -> np.ndarray:
    """Every training object's equivalent diameter (px), 0 where it has no mask."""
    d = [2.0 * s[:, 2] for im in images for s in im.sites.values()]
    return np.concatenate(d) if d else np.zeros(0)


def training_tile(spec: TileSpec, images: list[AnnotatedImage], image_size: int) -> int | None:
    """The tile side this folder trains at under `spec` (None: whole images)."""
    return samic_train_tile(spec, [im.size for im in images], object_diameters(images), image_size)


def _tile_of(image: AnnotatedImage, tile: Tile) -> AnnotatedImage | None:
    """The part of `image` inside `tile`, or None when it teaches nothing there."""
    points: dict[str, np.ndarray] = {}
    sites: dict[str, np.ndarray] = {}
    objects: dict[str, int] = {}
    for c, s in image.sites.items():
        inside = tile.contains(s[:, :2])
        if not inside.any():
            continue
        moved = s[inside].copy()
        moved[:, :2] = tile.to_tile(moved[:, :2])
        sites[c] = moved
        objects[c] = int(inside.sum())
        pts = image.points[c]
        keep = tile.contains(pts)
        points[c] = tile.to_tile(pts[keep]) if keep.any() else moved[:, :2]
    empty_of = image.empty_of
    if image.done:  # every object of a finished image is annotated: the other classes are absent
        empty_of = tuple(sorted(set(empty_of) | (set(image.points) - set(points))))
    if not points and not empty_of:
        return None
    return replace(
        image,
        name=f"{image.name}@{tile.key}",
        size=tile.hw,
        points=points,
        objects=objects,
        sites=sites,
        empty_of=empty_of,
        masks={},  # no erased copies of tiles
        crop=(tile.y0, tile.x0, tile.y1, tile.x1),
    )


def tile_training_images(
    images: list[AnnotatedImage], size: int, seed: int = 0
) -> list[AnnotatedImage]:
    """The training images of a folder cut into tiles of side `size` (see the module's note);
    images no bigger than a tile stay as they are."""
    rng = np.random.default_rng(seed)
    per_image: list[list[AnnotatedImage]] = []  # each image's tiles with objects, most first
    empty: list[AnnotatedImage] = []
    whole: list[AnnotatedImage] = []
    for im in images:
        h, w = im.size
        if max(h, w) <= size:
            whole.append(im)
            continue
        parts = [_tile_of(im, t) for t in TileGrid(h, w, size, samic_overlap(size))]
        full = [p for p in parts if p is not None and p.objects]
        empty += [p for p in parts if p is not None and not p.objects]
        order = rng.permutation(len(full))  # ties broken at random, seeded
        per_image.append(
            [full[i] for i in sorted(order, key=lambda i: -sum(full[i].objects.values()))]
        )
    kept: list[AnnotatedImage] = []
    for rank in range(max((len(p) for p in per_image), default=0)):  # round robin over images
        kept += [p[rank] for p in per_image if rank < len(p)]
    kept = kept[: max(MAX_OBJECT_TILES, len(per_image))]  # every image gives at least one
    n_empty = int(round(EMPTY_SHARE * len(kept)))
    if empty and n_empty:
        pick = rng.choice(len(empty), size=min(n_empty, len(empty)), replace=False)
        kept += [empty[i] for i in sorted(pick)]
    return sorted(whole + kept, key=lambda im: im.name)
