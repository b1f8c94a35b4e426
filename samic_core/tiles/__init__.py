"""Tiles of big images: the grid (grid.py) and when and how big (spec.py, `--tile`)."""

from samic_core.tiles.grid import Tile, TileGrid
from samic_core.tiles.spec import TileSpec, parse_tile, sam_grid, samic_grid

__all__ = ["Tile", "TileGrid", "TileSpec", "parse_tile", "sam_grid", "samic_grid"]
