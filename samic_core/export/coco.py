"""COCO instances JSON: export (polygons, or RLE when a polygon would lose holes) and import."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pycocotools import mask as mask_utils

from samic_core.annotation.layout import is_clip_folder
from samic_core.errors import FileProblem
from samic_core.export.common import (
    ExportItem,
    ExportReport,
    ImportSource,
    SourceImage,
    copy_image,
)
from samic_core.export.geometry import mask_bbox, mask_to_rings
from samic_core.export.limits import check_image_size, check_points, check_rle
from samic_core.fileio import list_images

COCO_FILENAME = "instances.json"
IMAGES_DIRNAME = "images"


def _decode(rle: Any) -> np.ndarray:
    # pycocotools <= 2.0.8 trips a NumPy 2 DeprecationWarning inside decode; it is harmless.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "__array__ implementation", DeprecationWarning)
        return mask_utils.decode(rle)


def encode_rle(mask: np.ndarray) -> dict[str, Any]:
    """Compressed COCO RLE of a bool (H, W) mask, JSON-ready (`counts` as str)."""
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": [int(s) for s in rle["size"]], "counts": rle["counts"].decode("ascii")}


def decode_segmentation(seg: Any, height: int, width: int) -> np.ndarray:
    """bool (H, W) mask of a COCO segmentation: polygon list, RLE or uncompressed RLE."""
    if isinstance(seg, list):
        rles = mask_utils.frPyObjects([list(map(float, p)) for p in seg], height, width)
        rle = mask_utils.merge(rles)
    elif isinstance(seg, dict) and isinstance(seg.get("counts"), list):
        rle = mask_utils.frPyObjects(seg, height, width)
    else:
        rle = dict(seg)
        if isinstance(rle["counts"], str):
            rle["counts"] = rle["counts"].encode("ascii")
    return _decode(rle).astype(bool)


def coco_segmentation(mask: np.ndarray) -> tuple[list[list[float]] | dict[str, Any], bool]:
    """(segmentation, is_rle) for one object mask.

    Polygons (one per outer boundary, pixel-edge exact) when the mask has no holes and
    pycocotools rasterises them back to exactly this mask; RLE otherwise, since COCO unions
    the polygons of an object and so cannot express a hole.
    """
    rings = mask_to_rings(mask)
    if not any(r.hole for r in rings):
        polys = [r.points.ravel().tolist() for r in rings]
        h, w = mask.shape
        back = _decode(mask_utils.merge(mask_utils.frPyObjects(polys, h, w)))
        if np.array_equal(back.astype(bool), mask):
            return polys, False
    return encode_rle(mask), True


class CocoWriter:
    """Collects images and annotations; writes OUT/instances.json and OUT/images/."""

    # what the format is, in one line: the app's format list and `samic export --help`
    description: ClassVar[str] = "COCO instances JSON (polygons; RLE where holes need it)"

    def __init__(self, out: Path, classes: list[str], report: ExportReport) -> None:
        self.out = out
        self.report = report
        self.categories = [
            {"id": i + 1, "name": name, "supercategory": ""} for i, name in enumerate(classes)
        ]
        self.category_id = {name: i + 1 for i, name in enumerate(classes)}
        self.images: list[dict[str, Any]] = []
        self.annotations: list[dict[str, Any]] = []
        self.clip: list[str] | None = None  # a clip folder's frame names, in time order
        self.clip_name = ""

    def add(self, item: ExportItem) -> None:
        image_id = len(self.images) + 1
        h, w = item.size
        name = copy_image(item.image_path, self.out / IMAGES_DIRNAME)
        entry: dict[str, Any] = {"id": image_id, "file_name": name, "width": w, "height": h}
        if self.clip is None:
            folder = item.image_path.parent
            frames = list_images(folder)
            self.clip = [p.name for p in frames] if is_clip_folder(folder, frames) else []
            self.clip_name = folder.name
        if self.clip:  # a clip's frames: the video and the frame's place in it (COCO-VID style)
            entry.update(video_id=1, frame_id=self.clip.index(item.image_path.name))
        self.images.append(entry)
        for eo in item.objects:
            seg, is_rle = coco_segmentation(eo.mask)
            self.report.rle_objects += int(is_rle)
            x, y, bw, bh = mask_bbox(eo.mask) or (0, 0, 0, 0)
            self.annotations.append(
                {
                    "id": len(self.annotations) + 1,
                    "image_id": image_id,
                    "category_id": self.category_id[eo.obj.label],
                    "segmentation": seg,
                    "area": float(eo.mask.sum()),
                    "bbox": [float(x), float(y), float(bw), float(bh)],
                    "iscrowd": 0,
                    **({"track_id": eo.obj.id} if self.clip else {}),  # the same on every frame
                }
            )

    def finish(self) -> None:
        data = {
            "info": {
                "description": "exported by SAMIC",
                "date_created": datetime.now(UTC).isoformat(timespec="seconds"),
            },
            "licenses": [],
            "images": self.images,
            "annotations": self.annotations,
            "categories": self.categories,
        }
        if self.clip:
            data["videos"] = [{"id": 1, "name": self.clip_name, "frames": len(self.clip)}]
        (self.out / COCO_FILENAME).write_text(json.dumps(data) + "\n", encoding="utf-8")


# ---- import ------------------------------------------------------------------------------------


def read_coco(path: Path) -> dict[str, Any]:
    """Load and check a COCO instances JSON (sizes, coordinates, RLE counts) before any mask is
    decoded; FileProblem names the file and the entry."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileProblem(path, "file does not exist") from None
    except (OSError, ValueError) as e:  # also an integer of more digits than Python reads
        raise FileProblem(path, f"not a readable JSON file ({str(e)[:200]})") from None
    except RecursionError:
        raise FileProblem(path, "not a readable JSON file (nested too deeply)") from None
    if not isinstance(data, dict):
        raise FileProblem(path, "not a COCO file: top level must be an object")
    for key in ("images", "annotations", "categories"):
        if not isinstance(data.get(key), list):
            raise FileProblem(path, f"not a COCO instances file: missing list {key!r}")
    try:
        cats = {int(c["id"]): str(c["name"]) for c in data["categories"]}
        images = {int(im["id"]): im for im in data["images"]}
        for im in data["images"]:
            str(im["file_name"])
            im["height"], im["width"] = check_image_size(
                path, f"image {im['file_name']}", im["width"], im["height"]
            )
    except (KeyError, TypeError, ValueError, OverflowError) as e:
        raise FileProblem(path, f"malformed image or category entry ({e!r})") from None
    if len(set(cats.values())) != len(cats) or not all(cats.values()):
        raise FileProblem(path, "category names must be unique and non-empty")
    for ann in data["annotations"]:
        aid = ann.get("id", "?") if isinstance(ann, dict) else "?"
        if not isinstance(ann, dict) or "segmentation" not in ann:
            raise FileProblem(path, f"annotation {aid}: no segmentation")
        if not isinstance(ann.get("image_id"), int) or ann["image_id"] not in images:
            raise FileProblem(path, f"annotation {aid}: image_id {ann.get('image_id')} unknown")
        if not isinstance(ann.get("category_id"), int) or ann["category_id"] not in cats:
            raise FileProblem(
                path, f"annotation {aid}: category_id {ann.get('category_id')} not in categories"
            )
        seg = ann["segmentation"]
        im = images[ann["image_id"]]
        h, w = int(im["height"]), int(im["width"])
        if isinstance(seg, list):
            if not seg or not all(isinstance(p, list) and len(p) >= 6 for p in seg):
                raise FileProblem(path, f"annotation {aid}: a polygon needs at least 3 points")
            for poly in seg:
                check_points(path, f"annotation {aid}", poly, h, w)
        elif not (isinstance(seg, dict) and "counts" in seg and "size" in seg):
            raise FileProblem(path, f"annotation {aid}: segmentation is neither polygon nor RLE")
        else:
            check_rle(path, f"annotation {aid}", seg, h, w)
    return data


# what `coco_source` reads, in one line: the app's import format list
COCO_SOURCE_DESCRIPTION = "COCO instances JSON file"


def coco_source(path: Path) -> ImportSource:
    """The images and objects of a COCO instances JSON, masks decoded lazily per image.

    Images are matched by the base name of `file_name`; crowd regions (`iscrowd` 1) are not
    objects and are left out with a warning.
    """
    path = Path(path)
    data = read_coco(path)
    cats = {int(c["id"]): str(c["name"]) for c in data["categories"]}
    by_id: dict[int, tuple[str, list[dict[str, Any]]]] = {}
    source = ImportSource(classes=[cats[k] for k in sorted(cats)], images={})
    for im in data["images"]:
        name = Path(str(im["file_name"]).replace("\\", "/")).name
        if name in source.images:
            raise FileProblem(path, f"image file name {name!r} appears twice")
        anns: list[dict[str, Any]] = []
        by_id[int(im["id"])] = (name, anns)
        h, w = int(im["height"]), int(im["width"])
        source.images[name] = SourceImage(h, w, _coco_loader(anns, cats, h, w))
    for ann in data["annotations"]:
        name, anns = by_id[int(ann["image_id"])]
        if ann.get("iscrowd", 0):
            source.warnings.append(f"{name}: crowd region (annotation {ann.get('id')}) skipped")
        else:
            anns.append(ann)
    return source


def _coco_loader(
    anns: list[dict[str, Any]], cats: dict[int, str], h: int, w: int
) -> Callable[[], Iterator[tuple[str, np.ndarray]]]:
    def load() -> Iterator[tuple[str, np.ndarray]]:
        """One object at a time: a file of many objects never holds all their masks at once."""
        for a in anns:
            yield cats[int(a["category_id"])], decode_segmentation(a["segmentation"], h, w)

    return load
