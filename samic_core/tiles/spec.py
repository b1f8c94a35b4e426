"""`--tile auto|off|SIZE`: when an image is cut into tiles, and how big they are.

SAM (the click engine) and SAMIC tile for different reasons, so each has its own rule:

* SAM encodes every image at 1024 px on its long side. Its tiles are SAM_TILE (1024) px with
  SAM_OVERLAP (256) px shared between neighbours, so a tile is encoded at full resolution.
  `auto` tiles an image whose long side is over SAM_AUTO_SIDE (4096) px: a 40 px object there
  shrinks to 10 px or less for the whole-image encoder. Ordinary photos stay whole.
* In the app, a click is decoded in SAM's tiles when the user has zoomed in on a big image
  (`zoom_grid`): the whole image is over ZOOM_MIN_SIDE px and the view shows at most half of
  its long side. Zoomed out, clicks use the whole image's embedding as before.
* SAMIC looks at S x S (224) px. In the images it is usually trained on an object spans about
  OBJECT_FRACTION (1/10) of the side (the task suite's objects: 22-34 px at 224, the discs
  benchmark's 16-40 px). Its tiles are
  sized to make objects that big again: `auto` takes the typical object's diameter from the
  training folder's masks (`samic_tile_for_objects`), and the model file keeps the tile size,
  so prediction tiles new images the same way. A model trained on whole images never tiles
  under `auto`.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from samic_core.tiles.grid import TileGrid

TILE_MODES = ("auto", "off")
TileSpec = Literal["auto", "off"] | int
DEFAULT_TILE: TileSpec = "auto"
MIN_TILE = 64  # smaller tiles hold too little context for either network

SAM_TILE = 1024  # SAM's encoder input: a tile this size is seen at full resolution
SAM_OVERLAP = 256  # the halo: an object up to this size near a cut lies whole in a neighbour
SAM_AUTO_SIDE = 4096  # `auto` tiles images with a longer side than this
ZOOM_MIN_SIDE = 1536  # the app decodes zoomed-in clicks in tiles of images longer than this...
ZOOM_VIEW_FRACTION = 0.5  # ...when the view shows at most this share of the image's long side

OBJECT_FRACTION = 1 / 10  # an object's diameter over SAMIC's input side, in ordinary images
SAMIC_TILE_MULTIPLE = 32  # SAMIC tiles are multiples of the ResNet's stride
SAMIC_OVERLAP_FRACTION = (
    0.25  # two object diameters: an object cut by one tile is whole in the next
)
SAMIC_AUTO_MAX_FRACTION = 0.5  # `auto` tiles only when the tile is at most half the long side
SAMIC_AUTO_MIN_SIDE = 2048  # ...of images longer than this: ordinary photos train as before
MAX_TILE = 1 << 16  # no image side is longer (the model file refuses more)


def parse_tile(text: str) -> TileSpec:
    """ "auto", "off" or a tile side in pixels (>= MIN_TILE); ValueError with the reason."""
    value = str(text).strip().lower()
    if value in TILE_MODES:
        return "auto" if value == "auto" else "off"
    try:
        side = int(value)
    except ValueError:
        raise ValueError(f"tile must be auto, off or a side in pixels, got {text!r}") from None
    if not MIN_TILE <= side <= MAX_TILE:
        raise ValueError(f"a tile side must be {MIN_TILE}-{MAX_TILE} px, got {side}")
    return side


def sam_grid(spec: TileSpec, hw: tuple[int, int]) -> TileGrid | None:
    """SAM's tile grid for an (H, W) image under `spec`, or None to encode it whole."""
    if spec == "off":
        return None
    if spec == "auto":
        if max(hw) <= SAM_AUTO_SIDE:
            return None
        size = SAM_TILE
    else:
        size = int(spec)
    grid = TileGrid(hw[0], hw[1], size, min(SAM_OVERLAP, size // 4))
    return None if grid.is_whole else grid


def zoom_grid(hw: tuple[int, int], view_hw: tuple[int, int]) -> TileGrid | None:
    """SAM's tile grid for a click in the app on an (H, W) image while the view shows
    (h, w) of it, or None for the whole-image embedding. Zoomed in on a big image, a tile's
    full-resolution embedding sees the small object the whole image's 1024 px one blurs."""
    if max(hw) <= ZOOM_MIN_SIDE or max(view_hw) > ZOOM_VIEW_FRACTION * max(hw):
        return None
    return TileGrid(hw[0], hw[1], SAM_TILE, SAM_OVERLAP)


def samic_overlap(size: int) -> int:
    return int(round(size * SAMIC_OVERLAP_FRACTION))


def samic_tile_for_objects(diameters: np.ndarray, image_size: int) -> int:
    """The SAMIC tile side at which objects of these diameters (px) span OBJECT_FRACTION of the
    input, as in ordinary images: their median diameter / OBJECT_FRACTION, rounded to a
    multiple of SAMIC_TILE_MULTIPLE and at least `image_size` (never enlarging pixels)."""
    d = float(np.median(np.asarray(diameters, np.float64)))
    side = d / OBJECT_FRACTION
    side = SAMIC_TILE_MULTIPLE * int(round(side / SAMIC_TILE_MULTIPLE))
    return max(side, image_size)


def samic_train_tile(
    spec: TileSpec, sizes: list[tuple[int, int]], diameters: np.ndarray, image_size: int
) -> int | None:
    """The tile side SAMIC trains at for images of these (H, W) sizes and objects of these
    diameters, or None for whole images. `auto`: tiles only when that tile is at most half the
    images' typical long side and they are over SAMIC_AUTO_MIN_SIDE px (small objects in big
    images); no object sizes known -> None."""
    if spec == "off" or not sizes:
        return None
    if spec != "auto":
        return int(spec)
    d = np.asarray(diameters, np.float64)
    d = d[d > 0]
    if len(d) == 0:
        return None
    side = samic_tile_for_objects(d, image_size)
    long_side = float(np.median([max(hw) for hw in sizes]))
    if long_side <= SAMIC_AUTO_MIN_SIDE:
        return None
    return side if side <= SAMIC_AUTO_MAX_FRACTION * long_side else None


def samic_side(spec: TileSpec, model_tile: int | None) -> int | None:
    """The tile side SAMIC looks at big images through under `spec` (auto: the model's); None:
    whole images. References are cut to it too, so both are seen at one scale."""
    if spec == "off":
        return None
    return model_tile if spec == "auto" else int(spec)


def samic_grid(spec: TileSpec, hw: tuple[int, int], model_tile: int | None) -> TileGrid | None:
    """SAMIC's tile grid for an (H, W) image, or None to look at it whole. `auto`: the tile the
    model was trained at (None for a model trained on whole images)."""
    size = samic_side(spec, model_tile)
    if size is None:
        return None
    grid = TileGrid(hw[0], hw[1], size, samic_overlap(size))
    return None if grid.is_whole else grid
