"""Checks on label files and images BEFORE anything is allocated or handed to pycocotools.

pycocotools trusts its input: a NaN coordinate crashes the process, a far-away coordinate makes
it allocate gigabytes (it walks every edge at 5x resolution), and a compressed RLE whose counts
add up to more than height x width writes past its buffer. So sizes, coordinates and RLE counts
are checked here, each failure a FileProblem naming the file and the entry. Image and mask files
are measured from their header (header_size) before they are decoded. `samic import` and the
eval readers share these limits.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from samic_core.annotation.models import MAX_PIXELS
from samic_core.errors import FileProblem, ImageReadError

PERIMETER_FACTOR = 1000  # an object's outline may be this many times (width + height) long
MAX_LABELS = 4096  # distinct object labels in one label mask (each costs a pass over the mask)
MAX_LABEL_SPREAD = 256  # the labels' bounding boxes may add up to this many times the mask

# Pillow refuses images over 2 x MAX_IMAGE_PIXELS (179 MP by default), below what SAMIC handles;
# set its guard to SAMIC's own limit so a 182-megapixel photo reads and a bomb is still refused.
PIL_LIMIT = MAX_PIXELS // 2
if Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS < PIL_LIMIT:
    Image.MAX_IMAGE_PIXELS = PIL_LIMIT


def header_size(path: Path, what: str = "image", max_pixels: int = MAX_PIXELS) -> tuple[int, int]:
    """(H, W) as stored in an image file's header (no EXIF turn), read without decoding pixels.

    Files over `max_pixels` (Pillow's decompression-bomb refusal included) and unreadable files
    raise ImageReadError naming the file, so nothing that size is ever allocated.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                w, h = im.size
    except Image.DecompressionBombError:
        w = h = max_pixels  # over the limit; Pillow did not even say its size
    except FileNotFoundError:
        raise ImageReadError(path, f"{what} file does not exist") from None
    except (OSError, ValueError, UnidentifiedImageError) as e:
        raise ImageReadError(path, f"not a readable {what} ({e})") from None
    if w * h > max_pixels:
        raise ImageReadError(
            path, f"{what} too large: SAMIC reads images of at most {max_pixels} pixels"
        )
    return h, w


def check_label_count(path: Path, count: int) -> None:
    """A label mask may hold at most MAX_LABELS objects (reading each costs a pass)."""
    if count > MAX_LABELS:
        raise FileProblem(
            path, f"mask has {count} labels; SAMIC reads masks of at most {MAX_LABELS} objects"
        )


def check_label_spread(path: Path, box_area: int, mask_area: int) -> None:
    """The labels' bounding boxes so far may cover at most MAX_LABEL_SPREAD x the mask: each
    label's parts are searched within its box, so this bounds the time one mask costs."""
    if box_area > MAX_LABEL_SPREAD * mask_area:
        raise FileProblem(
            path, f"mask labels are scattered: their bounding boxes cover over "
            f"{MAX_LABEL_SPREAD} times the mask (an instance mask is expected)"
        )  # fmt: skip


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _finite(v: Any) -> bool:
    """A finite number; an integer too large for a float (10**400) is not."""
    try:
        return math.isfinite(v)
    except OverflowError:
        return False


def check_image_size(path: Path, what: str, width: Any, height: Any) -> tuple[int, int]:
    """(H, W) of an image entry: positive integers whose product is at most MAX_PIXELS."""
    if not (_number(width) and _number(height)) or int(width) != width or int(height) != height:
        raise FileProblem(path, f"{what}: width and height must be integers")
    w, h = int(width), int(height)
    if w < 1 or h < 1:
        raise FileProblem(path, f"{what}: size {w}x{h} must be positive")
    if w * h > MAX_PIXELS:
        raise FileProblem(path, f"{what}: size {w}x{h} is over the limit of {MAX_PIXELS} pixels")
    return h, w


def check_points(path: Path, what: str, coords: Any, height: int, width: int) -> float:
    """Flat [x0, y0, x1, ...] or [[x, y], ...]: finite, within one image size of the image, and
    an outline of bounded length (what rasterising costs); returns that length."""
    if isinstance(coords, list) and coords and isinstance(coords[0], list):
        if not all(isinstance(p, list) and len(p) == 2 for p in coords):
            raise FileProblem(path, f"{what}: points must be [x, y] pairs")
        flat = [v for p in coords for v in p]
    elif isinstance(coords, list):
        flat = coords
    else:
        raise FileProblem(path, f"{what}: points must be a list of numbers")
    if len(flat) % 2 or not all(_number(v) for v in flat):
        raise FileProblem(path, f"{what}: points must be x, y numbers")
    if not all(_finite(v) for v in flat):
        raise FileProblem(path, f"{what}: a coordinate is not a finite number")
    xs, ys = flat[0::2], flat[1::2]
    if min(xs) < -width or max(xs) > 2 * width or min(ys) < -height or max(ys) > 2 * height:
        raise FileProblem(path, f"{what}: coordinates far outside the {width}x{height} image")
    length = sum(abs(xs[i] - xs[i - 1]) + abs(ys[i] - ys[i - 1]) for i in range(len(xs)))
    if length > PERIMETER_FACTOR * (width + height):
        raise FileProblem(path, f"{what}: outline too long ({length:.0f} pixels)")
    return length


def check_polygons(path: Path, what: str, polygons: Any, height: int, width: int) -> None:
    """A COCO polygon list: each polygon as check_points (at least 2 points), and all of them
    together no longer than one polygon may be, so many polygons cost no more than one."""
    if not isinstance(polygons, list) or not all(isinstance(p, list) for p in polygons):
        raise FileProblem(path, f"{what}: polygons must be lists of numbers")
    total = 0.0
    for poly in polygons:
        if poly and isinstance(poly[0], list):
            raise FileProblem(path, f"{what}: a polygon must be a flat [x0, y0, x1, ...] list")
        if len(poly) < 4:
            raise FileProblem(path, f"{what}: a polygon needs at least 2 points")
        total += check_points(path, what, poly, height, width)
    if total > PERIMETER_FACTOR * (width + height):
        raise FileProblem(path, f"{what}: outlines too long together ({total:.0f} pixels)")


def rle_string_counts(s: str) -> list[int]:
    """The run lengths of a COCO compressed RLE string (pycocotools' rleFrString), checked."""
    counts: list[int] = []
    p = 0
    while p < len(s):
        x, k, more = 0, 0, True
        while more:
            if p >= len(s):
                raise ValueError("truncated RLE string")
            c = ord(s[p]) - 48
            if not 0 <= c < 64:
                raise ValueError(f"character {s[p]!r} is not COCO RLE")
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if k > 7:
                raise ValueError("RLE count too large")
            if not more and c & 0x10:
                x |= -1 << (5 * k)
        if len(counts) > 2:
            x += counts[-2]
        counts.append(x)
    return counts


def check_rle(path: Path, what: str, seg: dict[str, Any], height: int, width: int) -> None:
    """RLE `size` is [H, W] and its counts are non-negative and cover exactly H x W pixels."""
    size = seg.get("size")
    if not (isinstance(size, list) and len(size) == 2
            and all(_number(v) and _finite(v) for v in size)):  # fmt: skip
        raise FileProblem(path, f"{what}: RLE size must be [height, width]")
    if [int(size[0]), int(size[1])] != [height, width]:
        raise FileProblem(
            path, f"{what}: RLE size {size} does not match the image ({height}x{width})"
        )
    counts = seg.get("counts")
    if isinstance(counts, str):
        try:
            runs = rle_string_counts(counts)
        except ValueError as e:
            raise FileProblem(path, f"{what}: malformed RLE counts ({e})") from None
    elif isinstance(counts, list) and all(isinstance(v, int) and not isinstance(v, bool)
                                          for v in counts):  # fmt: skip
        runs = counts
    else:
        raise FileProblem(path, f"{what}: RLE counts must be a string or a list of integers")
    if any(v < 0 for v in runs) or sum(runs) != height * width:
        raise FileProblem(
            path, f"{what}: RLE counts cover {sum(runs)} pixels, not {height}x{width}"
        )
