"""A COCO instances JSON for the COCO-20i reader: loaded with pycocotools, checked before use.

pycocotools indexes whatever the JSON holds and rasterises it without checks (export/limits.py
says what that costs). So the index is checked when it is read (ids, category names, and for the
images used their file name and declared size) and each annotation's segmentation just before it
is rasterised, with the limits `samic import` applies. Every failure is a FileProblem naming the
JSON file and the entry.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from samic_core.errors import FileProblem
from samic_core.export.limits import check_image_size, check_polygons, check_rle
from samic_core.safepath import child


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def load_coco(path: Path) -> Any:
    """pycocotools' COCO index of `path`, its ids and names checked (check_index)."""
    from pycocotools.coco import COCO

    try:
        with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints its progress
            coco = COCO(str(path))
    except RecursionError:
        raise FileProblem(path, "not a readable COCO instances file (nested too deeply)") from None
    # pycocotools asserts the top level is an object and indexes entries without checking them
    except (OSError, ValueError, KeyError, TypeError, IndexError, AssertionError) as e:
        raise FileProblem(path, f"not a readable COCO instances file ({e!r})") from None
    check_index(coco, path)
    return coco


def check_index(coco: Any, path: Path) -> None:
    """Integer image and category ids, unique non-empty category names, and annotations that
    name a known image and category."""
    data = coco.dataset
    if not isinstance(data, dict) or not all(
        isinstance(data.get(k), list) for k in ("images", "annotations", "categories")
    ):
        raise FileProblem(
            path, "not a readable COCO instances file (it needs lists images, annotations and "
            "categories)"
        )  # fmt: skip
    names: set[str] = set()
    for cat in data["categories"]:
        cid, name = cat.get("id"), cat.get("name")
        if not _is_int(cid):
            raise FileProblem(path, f"category {cid!r}: id must be an integer")
        if not isinstance(name, str) or not name:
            raise FileProblem(path, f"category {cid}: needs a non-empty name")
        if name in names:
            raise FileProblem(path, f"category name {name!r} appears twice")
        names.add(name)
    for image in data["images"]:
        if not _is_int(image.get("id")):
            raise FileProblem(path, f"image {image.get('id')!r}: id must be an integer")
    for ann in data["annotations"]:
        aid = ann.get("id", "?")
        if ann.get("image_id") not in coco.imgs:
            raise FileProblem(path, f"annotation {aid}: image_id {ann.get('image_id')!r} unknown")
        if ann.get("category_id") not in coco.cats:
            raise FileProblem(
                path, f"annotation {aid}: category_id {ann.get('category_id')!r} not in categories"
            )


def image_entry(coco: Any, image_id: int, images_dir: Path, path: Path) -> tuple[Path, int, int]:
    """(image file, H, W) of an image entry: a plain file name inside `images_dir` and a size
    within SAMIC's pixel budget."""
    info = coco.imgs[image_id]
    name = info.get("file_name")
    image = child(images_dir, name, path, "image file_name")
    h, w = check_image_size(path, f"image {name}", info.get("width"), info.get("height"))
    return image, h, w


def check_segmentation(path: Path, ann: dict[str, Any], h: int, w: int) -> None:
    """Polygons or RLE within the limits of an (h, w) image, so pycocotools can rasterise it."""
    what = f"annotation {ann.get('id', '?')}"
    seg = ann.get("segmentation")
    if isinstance(seg, list):
        check_polygons(path, what, seg, h, w)
    elif isinstance(seg, dict):
        check_rle(path, what, seg, h, w)
    else:
        raise FileProblem(path, f"{what}: segmentation is neither polygons nor RLE")


def rasterise(coco: Any, ann: dict[str, Any], path: Path, h: int, w: int) -> np.ndarray:
    """bool (h, w) mask of a checked annotation (an empty polygon list has no pixels)."""
    if ann["segmentation"] == []:
        return np.zeros((h, w), bool)
    try:
        with warnings.catch_warnings():
            # pycocotools <= 2.0.8 trips a harmless NumPy 2 DeprecationWarning inside decode
            warnings.filterwarnings("ignore", "__array__ implementation", DeprecationWarning)
            return coco.annToMask(ann).astype(bool)
    except Exception as e:  # pycocotools raises a bare Exception for input it does not support
        raise FileProblem(
            path, f"annotation {ann.get('id', '?')}: pycocotools cannot rasterise it ({e})"
        ) from None
