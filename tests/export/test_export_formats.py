"""VOC palette PNGs, YOLO polygons and LabelMe JSONs: content and round trips."""

from __future__ import annotations

import base64
import io
import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml
from export_helpers import CLASSES, Annotated
from PIL import Image

from samic_core.annotation import AnnotationStore
from samic_core.errors import SamicError
from samic_core.export import export_folder, import_folder
from samic_core.export.geometry import iou
from samic_core.export.voc import read_indexed_png, voc_palette
from samic_core.export.yolo import read_yolo_labels


def test_voc_palette_is_the_standard_one() -> None:
    p = voc_palette()
    assert p.shape == (256, 3)
    assert p[0].tolist() == [0, 0, 0]
    assert p[1].tolist() == [128, 0, 0]
    assert p[2].tolist() == [0, 128, 0]
    assert p[15].tolist() == [192, 128, 128]  # "person"
    assert p[255].tolist() == [224, 224, 192]  # the "void" colour


def test_voc_export_writes_indexed_class_and_object_masks(
    annotated: Annotated, tmp_path: Path
) -> None:
    out = tmp_path / "voc"
    export_folder(annotated.folder, "voc", out)
    names = (out / "class_names.txt").read_text().splitlines()
    assert names == ["background", *CLASSES]
    assert (out / "labelmap.txt").read_text().splitlines()[1] == "background:0,0,0::"
    stems = (out / "ImageSets/Segmentation/default.txt").read_text().split()
    assert stems == ["a", "b", "c"]
    for stem in stems:
        assert (out / "JPEGImages" / f"{stem}.png").is_file()
        with Image.open(out / "SegmentationClass" / f"{stem}.png") as im:
            assert im.mode == "P"
            assert np.array_equal(
                np.asarray(im.getpalette()[: 3 * 256], np.uint8).reshape(-1, 3), voc_palette()
            )
        classes = read_indexed_png(out / "SegmentationClass" / f"{stem}.png")
        objects = read_indexed_png(out / "SegmentationObject" / f"{stem}.png")
        expected = annotated.object_masks(f"{stem}.png")
        loaded = annotated.store.load(f"{stem}.png")
        want = np.zeros_like(classes)
        for o in loaded.annotation.objects:
            if o.id in expected:
                want[expected[o.id]] = CLASSES.index(o.label) + 1
        assert np.array_equal(classes, want)  # the unreviewed prediction is background
        assert len(np.unique(objects)) - 1 == len(expected)
        for mask in expected.values():
            values = np.unique(objects[mask])
            assert len(values) == 1 and values[0] > 0


def test_yolo_round_trip(annotated: Annotated, tmp_path: Path) -> None:
    out = tmp_path / "yolo"
    export_folder(annotated.folder, "yolo", out)
    data = yaml.safe_load((out / "data.yaml").read_text())
    assert data["names"] == dict(enumerate(CLASSES)) and data["nc"] == 3
    assert (out / data["train"]).is_dir() and "path" not in data
    assert (out / "labels" / "c.txt").read_text() == ""  # annotated, no objects: a negative
    assert not (out / "labels" / "d.txt").exists()
    worst = 1.0
    for stem in ("a", "b", "c"):
        assert (out / "images" / f"{stem}.png").is_file()
        for line in (out / "labels" / f"{stem}.txt").read_text().splitlines():
            xy = np.array(line.split()[1:], float)
            assert xy.min() >= 0 and xy.max() <= 1
        loaded = annotated.store.load(f"{stem}.png")
        expected = annotated.object_masks(f"{stem}.png")
        labels = {o.id: o.label for o in loaded.annotation.objects}
        got = read_yolo_labels(out / "labels" / f"{stem}.txt", loaded.instances.shape)
        assert len(got) == len(expected)
        for (cls, mask), (obj_id, want) in zip(got, expected.items(), strict=True):
            assert CLASSES[cls] == labels[obj_id]
            parts = cv2.connectedComponents(want.astype(np.uint8), connectivity=8)[0] - 1
            if parts == 1:  # with or without holes: exact as Ultralytics fills it
                assert np.array_equal(mask, want), (stem, obj_id)
            else:  # bridges across background cost a one-pixel line each
                worst = min(worst, iou(mask, want))
    assert 0.95 <= worst < 1.0


def test_labelme_round_trip(annotated: Annotated, tmp_path: Path) -> None:
    out = tmp_path / "labelme"
    export_folder(annotated.folder, "labelme", out)
    data = json.loads((out / "b.json").read_text())
    assert data["imagePath"] == "b.png" and (out / "b.png").is_file()
    assert (data["imageHeight"], data["imageWidth"]) == (150, 100)
    # the ring with an island and the diagonal pixels need masks; the rectangle is a polygon
    assert [s["shape_type"] for s in data["shapes"]] == ["mask", "mask", "polygon"]
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    for p in annotated.store.images():
        shutil.copy2(p, fresh / p.name)
    report = import_folder(out, "labelme", fresh)
    assert report.images == 3 and not report.warnings
    store = AnnotationStore(fresh)
    for name in ("a.png", "b.png", "c.png"):
        src = annotated.store.load(name)
        expected = annotated.object_masks(name)
        loaded = store.load(name)
        kept = [o for o in src.annotation.objects if o.id in expected]
        assert [o.label for o in loaded.annotation.objects] == [o.label for o in kept]
        for o_new, o_src in zip(loaded.annotation.objects, kept, strict=True):
            assert np.array_equal(loaded.instances == o_new.id, expected[o_src.id])
            assert o_new.source == "manual" and o_new.points == []


def _labelme_reads(shape: dict, size: tuple[int, int]) -> np.ndarray:
    """A shape as LabelMe 5.x rasterises it, written from its documented code, independent of
    ours: `utils.shape_to_mask` draws a polygon with PIL (outline=1, fill=1) and
    `utils.shapes_to_label` pastes a `mask` shape's PNG at [y1:y2 + 1, x1:x2 + 1]."""
    from PIL import ImageDraw

    if shape["shape_type"] == "mask":
        crop = np.asarray(Image.open(io.BytesIO(base64.b64decode(shape["mask"]))))
        out = np.zeros(size, bool)
        (x1, y1), (x2, y2) = np.asarray(shape["points"]).astype(int)
        out[y1 : y2 + 1, x1 : x2 + 1] = crop
        return out
    im = Image.fromarray(np.zeros(size, np.uint8))
    ImageDraw.Draw(im).polygon(xy=[tuple(p) for p in shape["points"]], outline=1, fill=1)
    return np.array(im, dtype=bool)


def test_labelme_export_is_exact_as_labelme_reads_it(annotated: Annotated, tmp_path: Path):
    """Holes survive: every object, as LabelMe itself rasterises it, is exactly its mask."""
    out = tmp_path / "labelme"
    export_folder(annotated.folder, "labelme", out)
    kinds = set()
    for name in ("a.png", "b.png"):
        data = json.loads((out / f"{Path(name).stem}.json").read_text())
        size = (data["imageHeight"], data["imageWidth"])
        objects: dict = {}
        for k, shape in enumerate(data["shapes"]):
            kinds.add(shape["shape_type"])
            key = (shape["label"], shape["group_id"]) if shape["group_id"] is not None else k
            objects[key] = objects.get(key, np.zeros(size, bool)) | _labelme_reads(shape, size)
        expected = annotated.object_masks(name)
        assert len(objects) == len(expected)
        for got, want in zip(objects.values(), expected.values(), strict=True):
            assert np.array_equal(got, want)  # IoU 1, the ring keeps its hole
    assert kinds == {"mask", "polygon"}


def _b64_png(mask: np.ndarray) -> str:
    buf = io.BytesIO()
    Image.fromarray(mask.astype(np.uint8) * 255).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def test_labelme_import_of_rectangles_circles_masks_and_groups(
    annotated: Annotated, tmp_path: Path
) -> None:
    crop = np.zeros((5, 6), bool)
    crop[1:4, 2:5] = True
    shapes = [
        {"label": "box", "points": [[30, 40], [10, 20]], "shape_type": "rectangle"},
        {"label": "round", "points": [[80, 60], [80, 70]], "shape_type": "circle"},
        {"label": "part", "points": [[100, 5], [110, 5], [110, 15]], "group_id": 3},
        {"label": "part", "points": [[120, 5], [130, 5], [130, 15], [120, 15]], "group_id": 3},
        {
            "label": "blob",
            "points": [[140, 100], [145, 104]],
            "shape_type": "mask",
            "mask": _b64_png(crop),
        },
        {"label": "dot", "points": [[5, 5]], "shape_type": "point"},
    ]
    src = tmp_path / "lm"
    src.mkdir()
    (src / "a.json").write_text(
        json.dumps(
            {
                "shapes": shapes,
                "imagePath": "../elsewhere/a.png",
                "imageHeight": 120,
                "imageWidth": 160,
            }
        )
    )
    report = import_folder(src / "a.json", "labelme", annotated.folder, overwrite=True)
    assert report.objects == 4 and any("point" in w for w in report.warnings)
    loaded = AnnotationStore(annotated.folder).load("a.png")
    masks = {o.label: loaded.instances == o.id for o in loaded.annotation.objects}
    box = np.zeros((120, 160), bool)
    box[20:41, 10:31] = True  # LabelMe draws the rectangle's corners inclusive (PIL, outline)
    assert np.array_equal(masks["box"], box)
    assert masks["round"].sum() == pytest.approx(np.pi * 10.5**2, rel=0.05)
    assert masks["round"][60, 80] and not masks["round"][60, 91]
    part = masks["part"]
    assert part[6, 109] and part[10, 125] and not part[10, 115]
    blob = np.zeros((120, 160), bool)
    blob[100:105, 140:146] = crop
    assert np.array_equal(masks["blob"], blob)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "not a readable JSON"),
        ('{"shapes": [], "imageHeight": 1, "imageWidth": 1}', "imagePath"),
        (
            '{"shapes": [{"label": "x", "points": [[1, 2], [3, 4]], "shape_type": "polygon"}],'
            ' "imagePath": "a.png", "imageHeight": 120, "imageWidth": 160}',
            "polygon needs 3+ points",
        ),
        (
            '{"shapes": [], "imagePath": "nowhere.png", "imageHeight": 120, "imageWidth": 160}',
            "nowhere.png",
        ),
    ],
)
def test_labelme_import_bad_input_names_the_file(
    annotated: Annotated, tmp_path: Path, content: str, problem: str
) -> None:
    src = tmp_path / "bad.json"
    src.write_text(content)
    before = sorted(p.name for p in annotated.store.dir.iterdir())
    with pytest.raises(SamicError) as err:
        import_folder(src, "labelme", annotated.folder, overwrite=True)
    assert str(src) in str(err.value) and problem in str(err.value)
    assert sorted(p.name for p in annotated.store.dir.iterdir()) == before


def test_image_names_with_dots_export(tmp_path: Path):
    """'2021.05.03_site.png' has the stem '2021.05.03_site': the JSON must still be found."""
    from export_helpers import disk, save, write_rgb

    from samic_core.annotation import AnnotatedObject, AnnotationStore
    from samic_core.export import export_folder
    from samic_core.testing import make_blob_image

    folder = tmp_path / "dots"
    for name in ("2021.05.03_site.png", "2021.05.png"):
        write_rgb(folder / name, make_blob_image(60, 80, None, 1))
        obj = AnnotatedObject(id=1, label="rock", score=0.9)
        save(AnnotationStore(folder), name, [(obj, disk((60, 80), 30, 30, 10))])
    for fmt in ("coco", "labelme"):
        report = export_folder(folder, fmt, tmp_path / f"out_{fmt}")
        assert report.images == 2 and report.objects == 2
