"""Clicks on a big image decoded in tiles (micro-sam's tiled embeddings, for any ClickEngine).

Each tile of a fixed grid (samic_core/tiles) is encoded at the encoder's full resolution on
first use and cached like a whole image, under the image's content hash plus the tile's
rectangle. A prompt is decoded in the tile that holds its points farthest from a cut
(`TileGrid.best_tile`). A mask that reaches a cut is followed into the neighbouring tile: the
neighbour decodes a click at the mask's deepest pixel in the shared strip, and when both tiles
agree there (IoU >= JOIN_IOU in the strip) the parts are joined, tile after tile, up to
MAX_JOIN_TILES. The result keeps only the mask's bounding rectangle (`MaskResult.origin`), so
a few hundred objects of a 48 MP image take megabytes, not gigabytes.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import cv2
import numpy as np

from samic_core.jobs import Progress
from samic_core.sam.click_engine import ClickEngine
from samic_core.sam.types import ImageEmbedding, MaskResult, Prompt
from samic_core.tiles.grid import Tile, TileGrid

JOIN_IOU = 0.5  # two tiles' masks are one object when they agree this well in their shared strip
MAX_JOIN_TILES = 9  # an object is followed through at most this many tiles (3 x 3 at 1024 px)
# Where encodes are budgeted (the app's clicks), a part covering more of its tile than this is
# not followed: no small object (the whole image's embedding sees such a region well), and
# following a background mask would encode every neighbour while the user waits.
JOIN_MAX_FILL = 0.5
EDGE = 2  # a mask within this many pixels of a cut reaches it
RECENT_TILES = 4  # embeddings kept by a TiledImage itself (an engine may have no cache)


def tile_key(image_sha256: str, tile: Tile) -> str:
    """The cache key of a tile's embedding: the image's content hash and the rectangle."""
    return f"{image_sha256}-tile-{tile.key}"


def deepest_point(mask: np.ndarray) -> tuple[int, int] | None:
    """(x, y) of the pixel of an (h, w) bool mask farthest from its outside, or None if empty."""
    if not mask.any():
        return None
    dist = cv2.distanceTransform(np.pad(mask, 1).astype(np.uint8), cv2.DIST_L2, 3)[1:-1, 1:-1]
    y, x = np.unravel_index(int(np.argmax(dist)), dist.shape)
    return int(x), int(y)


class TiledImage:
    """One big image's tile embeddings and the decodes made with them.

    pixels: the image (H, W, 3) uint8, an array or a memory map (only tiles are read);
    image_sha256: its file's content hash (the cache key's first part); join_encodes: how many
    tiles not yet cached following one object may encode (None: as many as it reaches; the app
    gives a few, so a click never waits for a row of encodes).
    """

    def __init__(
        self,
        engine: ClickEngine,
        pixels: np.ndarray,
        image_sha256: str,
        grid: TileGrid,
        name: str = "",
        join_encodes: int | None = None,
    ) -> None:
        if (grid.height, grid.width) != tuple(pixels.shape[:2]):
            raise ValueError(
                f"tile grid is {grid.width}x{grid.height}, image is "
                f"{pixels.shape[1]}x{pixels.shape[0]}"
            )
        self.engine = engine
        self.pixels = pixels
        self.sha = image_sha256
        self.grid = grid
        self.name = name
        self.join_encodes = join_encodes
        self._recent: OrderedDict[Tile, ImageEmbedding] = OrderedDict()  # also without a cache

    @property
    def hw(self) -> tuple[int, int]:
        return self.grid.height, self.grid.width

    def embedding(self, tile: Tile, progress: Progress | None = None) -> ImageEmbedding:
        """The tile's embedding: cached, else encoded (at the encoder's full resolution) and
        cached. progress: the encoder's, as ClickEngine.encode's."""
        emb = self._recent.get(tile) or self.cached(tile) or self._encode(tile, progress)
        self._recent[tile] = emb
        self._recent.move_to_end(tile)
        while len(self._recent) > RECENT_TILES:
            self._recent.popitem(last=False)
        return emb

    def cached(self, tile: Tile) -> ImageEmbedding | None:
        """The tile's cached embedding (a corrupt entry is a miss), or None; never encodes."""
        e = self.engine
        if e.cache is None:
            return None
        return e.cache.get(tile_key(self.sha, tile), e.model_id, e.device, e.embedding_shapes)

    def _encode(self, tile: Tile, progress: Progress | None = None) -> ImageEmbedding:
        crop = np.ascontiguousarray(self.pixels[tile.slices])
        name = f"{self.name} tile {tile.key}"
        emb = self.engine.encode(crop, tile_key(self.sha, tile), progress, name)
        self.engine.cache_put(emb, name)
        return emb

    def embed_all(self, progress: Progress | None = None) -> int:
        """Make sure every tile has a valid cached embedding (`samic embed --tile`); returns
        how many were encoded. progress(done, tiles, name) after each tile."""
        encoded = 0
        tiles = list(self.grid)
        for i, tile in enumerate(tiles):
            if self.cached(tile) is None:
                self._encode(tile)
                encoded += 1
            if progress is not None:
                progress(i + 1, len(tiles), f"{self.name} tile {tile.key}")
        return encoded

    # ---- decoding --------------------------------------------------------------------------
    def fits(self, prompt: Prompt) -> bool:
        """Whether the prompt's points and box lie inside the tile it would be decoded in."""
        return self.grid.fits(prompt.points, prompt.box)

    def tile_for(self, prompt: Prompt) -> Tile:
        """The tile a prompt is decoded in (its points and box corners decide)."""
        anchors = [prompt.points]
        if prompt.box is not None:
            anchors.append(np.asarray(prompt.box, np.float64).reshape(2, 2))
        return self.grid.best_tile(np.concatenate(anchors))

    def decode(
        self,
        prompt: Prompt,
        multimask: bool | None = None,
        candidate: int | None = None,
        input_tile: tuple[int, int, int, int] | None = None,
    ) -> MaskResult:
        """One object's prompt in image pixels -> its joined mask (`origin` set). Decoded in the
        tile that holds its points (`tile_for`); points beyond that tile are left out and a box
        is clipped to it (`fits` tells whether nothing would be: the app asks first).

        prompt.mask_input (an earlier decode's logits) is used only when `input_tile`, the tile
        those logits belong to (MaskResult.tile), is the tile chosen now."""
        tile = self.tile_for(prompt)
        box = None
        if prompt.box is not None:  # clipped to the tile
            corners = tile.to_tile(np.asarray(prompt.box, np.float64).reshape(2, 2))
            box = np.clip(corners, 0, (tile.x1 - tile.x0 - 1, tile.y1 - tile.y0 - 1)).reshape(4)
        inside = tile.contains(prompt.points)  # points beyond the tile are left out
        if not inside.any() and box is None:
            inside[:] = True  # (never: the tile was chosen for holding most of them)
        same = input_tile is not None and tuple(input_tile) == _rect(tile)
        local = Prompt(
            tile.to_tile(prompt.points[inside]),
            prompt.labels[inside],
            box,
            prompt.mask_input if same else None,
        )
        result = self.engine.decode(self.embedding(tile), local, multimask, candidate)
        return self._joined(result, tile)

    def decode_points(self, points: np.ndarray, chunk: int = 16) -> list[MaskResult]:
        """Each (x, y) image point as its own object's lone positive click (as
        ClickEngine.decode_points), decoded tile by tile, joined across cuts."""
        pts = np.asarray(points, np.float64).reshape(-1, 2)
        by_tile: dict[Tile, list[int]] = {}
        for i, p in enumerate(pts):
            by_tile.setdefault(self.grid.best_tile(p[None]), []).append(i)
        out: list[MaskResult | None] = [None] * len(pts)
        for tile, idx in sorted(by_tile.items()):
            emb = self.embedding(tile)
            results = self.engine.decode_points(emb, tile.to_tile(pts[idx]), chunk)
            for i, r in zip(idx, results, strict=True):
                out[i] = self._joined(r, tile)
        return [r for r in out if r is not None]

    def _joined(self, result: MaskResult, tile: Tile) -> MaskResult:
        """A tile's decode with the object's parts in neighbouring tiles joined to it, cropped
        to the joined mask's bounding rectangle."""
        parts: dict[Tile, np.ndarray] = {tile: result.mask}
        queue = [tile]
        seen = {tile}
        encodes = self.join_encodes
        while queue and len(seen) < MAX_JOIN_TILES:
            t = queue.pop(0)
            if encodes is not None and parts[t].mean() > JOIN_MAX_FILL:
                continue  # a budget (the app's click): no encodes for a region this big
            for n in self._continuations(t, parts[t]):
                if n in seen or len(seen) >= MAX_JOIN_TILES:
                    continue
                if encodes is not None and n not in self._recent and self.cached(n) is None:
                    if encodes <= 0:
                        continue
                    encodes -= 1
                seen.add(n)
                part = self._follow(parts, t, n)
                if part is not None:
                    parts[n] = part
                    queue.append(n)
        mask, origin = _compose(parts)
        return MaskResult(
            mask=mask,
            score=result.score,
            low_res_logits=result.low_res_logits,
            candidate=result.candidate,
            candidate_scores=result.candidate_scores,
            origin=origin,
            tile=_rect(tile),
        )

    def _continuations(self, tile: Tile, mask: np.ndarray) -> list[Tile]:
        """The neighbours across the cuts that `mask` (tile frame) reaches."""
        h, w = mask.shape
        reach = {
            "left": tile.x0 > 0 and mask[:, :EDGE].any(),
            "top": tile.y0 > 0 and mask[:EDGE].any(),
            "right": tile.x1 < self.grid.width and mask[:, w - EDGE :].any(),
            "bottom": tile.y1 < self.grid.height and mask[h - EDGE :].any(),
        }
        out = []
        for n in self.grid.neighbours(tile):
            if (
                (reach["left"] and n.x0 < tile.x0)
                or (reach["top"] and n.y0 < tile.y0)
                or (reach["right"] and n.x1 > tile.x1)
                or (reach["bottom"] and n.y1 > tile.y1)
            ):
                out.append(n)
        return out

    def _follow(self, parts: dict[Tile, np.ndarray], tile: Tile, n: Tile) -> np.ndarray | None:
        """The object's part in neighbour `n`, decoded from the deepest pixel of what is known
        of it in the strip `tile` and `n` share, when `n` agrees there; else None."""
        strip = Tile(max(tile.y0, n.y0), max(tile.x0, n.x0), min(tile.y1, n.y1), min(tile.x1, n.x1))
        if strip.y0 >= strip.y1 or strip.x0 >= strip.x1:
            return None
        known = _region(parts, strip)
        seed = deepest_point(known)
        if seed is None:
            return None
        click = np.array([[seed[0] + strip.x0 - n.x0, seed[1] + strip.y0 - n.y0]], np.float64)
        found = self.engine.decode(self.embedding(n), Prompt.from_points(click)).mask
        mine = found[strip.y0 - n.y0 : strip.y1 - n.y0, strip.x0 - n.x0 : strip.x1 - n.x0]
        union = np.logical_or(mine, known).sum()
        if union == 0 or np.logical_and(mine, known).sum() / union < JOIN_IOU:
            return None
        return found


def _rect(tile: Tile) -> tuple[int, int, int, int]:
    return tile.y0, tile.x0, tile.y1, tile.x1


def _region(parts: dict[Tile, np.ndarray], region: Tile) -> np.ndarray:
    """The union of the tiles' masks inside `region`, (h, w) bool in its frame."""
    out = np.zeros(region.hw, bool)
    for t, m in parts.items():
        y0, x0 = max(t.y0, region.y0), max(t.x0, region.x0)
        y1, x1 = min(t.y1, region.y1), min(t.x1, region.x1)
        if y0 < y1 and x0 < x1:
            out[y0 - region.y0 : y1 - region.y0, x0 - region.x0 : x1 - region.x0] |= m[
                y0 - t.y0 : y1 - t.y0, x0 - t.x0 : x1 - t.x0
            ]
    return out


def _compose(parts: dict[Tile, np.ndarray]) -> tuple[np.ndarray, tuple[int, int]]:
    """The union of the parts cropped to its bounding rectangle, and that rectangle's (y, x)."""
    boxes = []
    for t, m in parts.items():
        ys, xs = np.nonzero(m.any(1))[0], np.nonzero(m.any(0))[0]
        if len(ys):
            boxes.append((t.y0 + ys[0], t.x0 + xs[0], t.y0 + ys[-1] + 1, t.x0 + xs[-1] + 1))
    if not boxes:
        t = next(iter(parts))
        return np.zeros((0, 0), bool), (t.y0, t.x0)
    b = np.array(boxes)
    box = Tile(int(b[:, 0].min()), int(b[:, 1].min()), int(b[:, 2].max()), int(b[:, 3].max()))
    return _region(parts, box), box.origin


def tiled_objects_union(results: Sequence[MaskResult], hw: tuple[int, int]) -> np.ndarray:
    """The (H, W) union of placed masks (for callers that want one full-size mask)."""
    out = np.zeros(hw, bool)
    for r in results:
        y0, x0, y1, x1 = r.box
        out[y0:y1, x0:x1] |= r.mask
    return out
