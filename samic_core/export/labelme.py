"""LabelMe JSON per image: export and import (polygon, rectangle, circle and mask shapes;
shapes sharing a group_id and label form one object).

Export writes what LabelMe itself reads back to exactly the object's pixels: polygons through
the boundary pixel centres when LabelMe's rasteriser (PIL `ImageDraw.polygon` with outline and
fill, as `labelme.utils.shape_to_mask`) reproduces the mask, else a `mask` shape (LabelMe 5.3+):
the box `points` [[x1, y1], [x2, y2]] (inclusive) and a base64 PNG of the mask inside it, which
`labelme.utils.shapes_to_label` pastes at `[y1:y2 + 1, x1:x2 + 1]`. Objects with holes always
become mask shapes, since a polygon cannot have one.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import cv2
import numpy as np
from PIL import Image, ImageDraw

from samic_core.errors import FileProblem
from samic_core.export.common import (
    ExportItem,
    ExportReport,
    ImportSource,
    SourceImage,
    copy_image,
)
from samic_core.export.limits import check_image_size, check_points

LABELME_VERSION = "5.4.1"
AREA_SHAPES = ("polygon", "rectangle", "circle", "mask")


def labelme_polygon_mask(points: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """bool (H, W): a polygon as LabelMe rasterises it (PIL polygon, outline and fill)."""
    im = Image.new("L", (size[1], size[0]), 0)
    ImageDraw.Draw(im).polygon([tuple(p) for p in np.asarray(points, float).tolist()], 1, 1)
    return np.asarray(im, bool)


def _shape(label: str, points: list, kind: str, mask: str | None, group: int | None) -> dict:
    return {
        "label": label,
        "points": points,
        "group_id": group,
        "description": "",
        "shape_type": kind,
        "flags": {},
        "mask": mask,
    }


def labelme_shapes(label: str, mask: np.ndarray, group_id: int | None = None) -> list[dict]:
    """LabelMe shapes LabelMe reads back to exactly `mask`: polygons where they can, else a mask.

    Several shapes of one object (one polygon per part) share `group_id`.
    """
    mask = np.asarray(mask, bool)
    contours, _ = cv2.findContours(
        mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE
    )
    polys = [c.reshape(-1, 2) for c in contours if len(c) >= 3]
    if polys:
        drawn = np.zeros(mask.shape, bool)
        for poly in polys:
            drawn |= labelme_polygon_mask(poly, mask.shape)
        if np.array_equal(drawn, mask):
            group = group_id if len(polys) > 1 else None
            return [_shape(label, p.astype(float).tolist(), "polygon", None, group) for p in polys]
    ys, xs = np.nonzero(mask)
    x1, y1, x2, y2 = int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())
    buf = io.BytesIO()
    Image.fromarray(mask[y1 : y2 + 1, x1 : x2 + 1].astype(np.uint8)).save(buf, format="PNG")
    b64 = base64.b64encode(buf.getvalue()).decode("ascii")
    return [_shape(label, [[float(x1), float(y1)], [float(x2), float(y2)]], "mask", b64, None)]


class LabelmeWriter:
    """OUT/<image file> and OUT/<stem>.json side by side, as LabelMe saves them.

    Where stems collide (a.jpg, a.png) the JSON is named by the full name (a.png.json); its
    `imagePath` names the image, which the import and converters read.
    """

    # what the format is, in one line: the app's format list and `samic export --help`
    description: ClassVar[str] = "LabelMe JSON per image (polygons)"

    def __init__(self, out: Path, classes: list[str], report: ExportReport) -> None:
        self.out = out

    def add(self, item: ExportItem) -> None:
        name = copy_image(item.image_path, self.out)
        h, w = item.size
        data: dict[str, Any] = {
            "version": LABELME_VERSION,
            "flags": {},
            "shapes": [
                shape
                for eo in item.objects
                for shape in labelme_shapes(eo.obj.label, eo.mask, eo.obj.id)
            ],
            "imagePath": name,
            "imageData": None,
            "imageHeight": h,
            "imageWidth": w,
        }
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        (self.out / f"{item.stem}.json").write_text(text, encoding="utf-8")

    def finish(self) -> None:
        pass


# ---- import ------------------------------------------------------------------------------------


def labelme_files(src: Path) -> list[Path]:
    """The LabelMe JSONs of `src`: the file itself, or the *.json directly inside the folder."""
    src = Path(src)
    if src.is_file():
        return [src]
    if not src.is_dir():
        raise FileProblem(src, "does not exist")
    files = sorted(src.glob("*.json"), key=lambda p: p.name.lower())
    if not files:
        raise FileProblem(src, "holds no LabelMe .json files")
    return files


# what `labelme_source` reads, in one line: the app's import format list
LABELME_SOURCE_DESCRIPTION = "LabelMe JSON files (a folder, or one file)"


def labelme_source(src: Path) -> ImportSource:
    """Parse and check every LabelMe file of `src`; masks are rasterised lazily per image."""
    source = ImportSource(classes=[], images={})
    for path in labelme_files(src):
        data = _read_json(path)
        name = Path(str(data["imagePath"]).replace("\\", "/")).name
        if name in source.images:
            raise FileProblem(path, f"a second LabelMe file for image {name!r}")
        h, w = check_image_size(path, f"image {name}", data["imageWidth"], data["imageHeight"])
        shapes = []
        for k, shape in enumerate(data["shapes"]):
            kind = _shape_type(path, k, shape)
            if kind not in AREA_SHAPES:
                source.warnings.append(f"{path.name}: shape {k} ({kind}) has no area; skipped")
                continue
            _check_shape(path, k, shape, kind)
            check_points(path, _what(k, shape), shape["points"], h, w)
            shapes.append(shape)
            if shape["label"] not in source.classes:
                source.classes.append(shape["label"])
        source.images[name] = SourceImage(h, w, _labelme_loader(path, shapes, h, w))
    return source


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:  # also an integer of more digits than Python reads
        raise FileProblem(path, f"not a readable JSON file ({str(e)[:200]})") from None
    except RecursionError:
        raise FileProblem(path, "not a readable JSON file (nested too deeply)") from None
    if not isinstance(data, dict) or not isinstance(data.get("shapes"), list):
        raise FileProblem(path, "not a LabelMe file: no 'shapes' list")
    for key in ("imagePath", "imageHeight", "imageWidth"):
        if data.get(key) in (None, ""):
            raise FileProblem(path, f"LabelMe file without {key!r}")
    if not isinstance(data["imagePath"], str):
        raise FileProblem(path, "'imagePath' must be the image's file name (a string)")
    return data


def _what(k: int, shape: dict[str, Any]) -> str:
    """'shape K (label)' for error lines, the label cut short."""
    label = shape["label"]
    return f"shape {k} ({label[:40] + '...' if len(label) > 40 else label})"


def _shape_type(path: Path, k: int, shape: Any) -> str:
    """The kind of entry `k` of `shapes` (default polygon); FileProblem unless it is a shape."""
    if not isinstance(shape, dict):
        raise FileProblem(path, f"shape {k}: must be a shape object, got {type(shape).__name__}")
    kind = shape.get("shape_type") or "polygon"
    if not isinstance(kind, str):
        raise FileProblem(path, f"shape {k}: shape_type must be a string")
    return kind[:40]


def _check_shape(path: Path, k: int, shape: dict[str, Any], kind: str) -> None:
    """FileProblem naming the file and shape `k` unless it is an area shape LabelMe could have
    written: a non-empty string label, points as [x, y] number pairs, an int / string / null
    group_id (objects are grouped by it), and a base64 string for a mask shape."""
    if not isinstance(shape.get("label"), str) or not shape["label"]:
        raise FileProblem(path, f"shape {k}: needs a non-empty label")
    what = _what(k, shape)
    points = shape.get("points")
    if not isinstance(points, list) or not all(
        isinstance(p, list) and len(p) == 2 and all(_is_number(v) for v in p) for p in points
    ):
        raise FileProblem(path, f"{what}: points must be a list of [x, y] number pairs")
    need = 3 if kind == "polygon" else 2
    if len(points) < need:
        raise FileProblem(path, f"{what}: a {kind} needs {need}+ points")
    if not np.isfinite(np.asarray(points, np.float64)).all():
        raise FileProblem(path, f"{what}: a coordinate is not a finite number")
    group = shape.get("group_id")
    if group is not None and (isinstance(group, bool) or not isinstance(group, int | str)):
        raise FileProblem(path, f"{what}: group_id must be a number, a string or null")
    if kind == "mask" and not isinstance(shape.get("mask"), str):
        raise FileProblem(path, f"{what}: mask shape without base64 'mask'")


def _is_number(v: Any) -> bool:
    """A JSON number a float holds (not true / false, which Python counts as ints, nor an
    integer too large for a float)."""
    if isinstance(v, bool):
        return False
    return isinstance(v, float) or (isinstance(v, int) and abs(v) < 1 << 63)


def shape_to_mask(shape: dict[str, Any], size: tuple[int, int]) -> np.ndarray:
    """bool (H, W) mask of one LabelMe area shape, rasterised as LabelMe does it
    (`labelme.utils.shape_to_mask` / `shapes_to_label`: PIL drawing with outline and fill)."""
    h, w = size
    kind = shape.get("shape_type") or "polygon"
    pts = np.asarray(shape["points"], np.float64).reshape(-1, 2)
    if kind == "polygon":
        return labelme_polygon_mask(pts, size)
    if kind in ("rectangle", "circle"):
        im = Image.new("L", (w, h), 0)
        draw = ImageDraw.Draw(im)
        if kind == "rectangle":
            (x0, y0), (x1, y1) = pts.min(0), pts.max(0)
            draw.rectangle([x0, y0, x1, y1], outline=1, fill=1)
        else:
            (cx, cy), (px, py) = pts[0], pts[1]
            d = float(np.hypot(px - cx, py - cy))
            draw.ellipse([cx - d, cy - d, cx + d, cy + d], outline=1, fill=1)
        return np.asarray(im, bool)
    # "mask": a base64 PNG of the box points[0]..points[1] (inclusive), as LabelMe 5.3+ writes
    with Image.open(io.BytesIO(base64.b64decode(shape["mask"]))) as im:
        if im.width * im.height > h * w:  # header only so far: refuse before decoding
            raise ValueError(f"mask of {im.width}x{im.height} is larger than the image")
        crop = np.asarray(im.convert("L")) > 0
    out = np.zeros(size, bool)
    x0, y0 = int(pts[0][0]), int(pts[0][1])
    ys, xs = np.nonzero(crop)
    ys, xs = ys + y0, xs + x0
    inside = (ys >= 0) & (ys < h) & (xs >= 0) & (xs < w)  # a box may stick out of the image
    out[ys[inside], xs[inside]] = True
    return out


def _labelme_loader(
    path: Path, shapes: list[dict[str, Any]], h: int, w: int
) -> Callable[[], Iterator[tuple[str, np.ndarray]]]:
    def load() -> Iterator[tuple[str, np.ndarray]]:
        """One object at a time (shapes sharing a group_id and label are one object), so a
        file of many objects never holds all their full-size masks at once."""
        groups: dict[Any, list[int]] = {}
        for k, shape in enumerate(shapes):
            gid = shape.get("group_id")
            groups.setdefault((shape["label"], gid) if gid is not None else k, []).append(k)
        for members in groups.values():
            mask = np.zeros((h, w), bool)
            for k in members:
                try:
                    mask |= shape_to_mask(shapes[k], (h, w))
                except (ValueError, OSError, Image.DecompressionBombError) as e:  # bad mask PNG
                    raise FileProblem(path, f"{_what(k, shapes[k])}: {str(e)[:200]}") from None
            yield shapes[members[0]]["label"], mask

    return load
