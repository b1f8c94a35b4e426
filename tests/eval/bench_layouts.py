"""Tiny datasets in the real on-disk layouts: COCO 2014, VOC2012 + SBD, image/mask folder, DAVIS,
and the reference lists in their formats (HSNet's Pascal fold files and COCO pkl, FSS-1000's
test.txt, DAVIS-2016's ImageSets/480p frame lists).

Every image is 48 x 64 with coloured rectangles on grey noise; the masks say where the
rectangles are, so readers, episodes and metrics can be checked against known pixels.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

H, W = 48, 64


def _image(rng: np.random.Generator, boxes: list[tuple[int, int, int, int, int]]) -> np.ndarray:
    img = rng.integers(90, 140, (H, W, 3), dtype=np.uint8)
    for x0, y0, x1, y1, colour in boxes:
        img[y0:y1, x0:x1] = (colour * 37 % 255, colour * 91 % 255, colour * 53 % 255)
    return img


def _write_jpg(path: Path, rgb: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])


def _write_palette_png(path: Path, labels: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    im = Image.fromarray(labels.astype(np.uint8), mode="P")
    palette = [0, 0, 0] + [(i * 67) % 256 for i in range(3, 768)]
    im.putpalette(palette)
    im.save(path)


def make_coco(
    root: Path, n_images: int = 6, n_cats: int = 8, seed: int = 0, part: str = "val2014"
) -> Path:
    """`root/<part>/*.jpg` + `root/annotations/instances_<part>.json` (polygon annotations).

    Image i shows categories i % n_cats and (i + 4) % n_cats (so fold 0 has two classes with 3
    images each when n_images = 6, n_cats = 8).
    """
    rng = np.random.default_rng(seed)
    cats = [{"id": 10 + 3 * k, "name": f"cat{k}", "supercategory": "x"} for k in range(n_cats)]
    images, anns = [], []
    for i in range(n_images):
        name = f"COCO_{part}_{i + 1:012d}.jpg"
        ks = [i % n_cats, (i + 4) % n_cats]
        boxes = [(4, 4, 28, 20, ks[0] + 1), (34, 24, 60, 44, ks[1] + 1)]
        _write_jpg(root / part / name, _image(rng, boxes))
        images.append({"id": 100 + i, "file_name": name, "height": H, "width": W})
        for k, (x0, y0, x1, y1, _) in zip(ks, boxes, strict=True):
            poly = [x0, y0, x1, y0, x1, y1, x0, y1]
            anns.append(
                {
                    "id": len(anns) + 1,
                    "image_id": 100 + i,
                    "category_id": cats[k]["id"],
                    "segmentation": [[float(v) for v in poly]],
                    "area": float((x1 - x0) * (y1 - y0)),
                    "bbox": [x0, y0, x1 - x0, y1 - y0],
                    "iscrowd": 0,
                }
            )
    (root / "annotations").mkdir(parents=True, exist_ok=True)
    data = {"images": images, "annotations": anns, "categories": cats}
    (root / "annotations" / f"instances_{part}.json").write_text(json.dumps(data))
    return root


def make_voc(root: Path, seed: int = 0) -> Path:
    """`root/VOC2012/{JPEGImages, ImageSets/Segmentation/val.txt, SegmentationClassAug}`.

    Five val images; image i holds class 1 (aeroplane) when i < 4 and class 2 (bicycle) when
    i >= 1, each drawn with a 1-pixel 255 border as in SBD/VOC masks; one train image is not in
    val.txt (it is train.txt's one image) and must not be used for testing.
    """
    rng = np.random.default_rng(seed)
    voc = root / "VOC2012"
    names = [f"2008_{i:06d}" for i in range(5)]
    for i, name in enumerate([*names, "2008_999999"]):
        labels = np.zeros((H, W), np.uint8)
        boxes = []
        if i < 4:
            labels[3:21, 3:29] = 255
            labels[4:20, 4:28] = 1
            boxes.append((4, 4, 28, 20, 1))
        if i >= 1:
            labels[23:45, 33:61] = 255
            labels[24:44, 34:60] = 2
            boxes.append((34, 24, 60, 44, 2))
        _write_jpg(voc / "JPEGImages" / f"{name}.jpg", _image(rng, boxes))
        (voc / "SegmentationClassAug").mkdir(parents=True, exist_ok=True)
        Image.fromarray(labels, mode="L").save(voc / "SegmentationClassAug" / f"{name}.png")
    (voc / "ImageSets" / "Segmentation").mkdir(parents=True, exist_ok=True)
    (voc / "ImageSets" / "Segmentation" / "val.txt").write_text("\n".join(names) + "\n")
    (voc / "ImageSets" / "Segmentation" / "train.txt").write_text("2008_999999\n")
    return root


def make_folder(root: Path, n: int = 4, seed: int = 0, indexed: bool = False) -> Path:
    """`root/images/<i>.jpg` + `root/masks/<i>.png` (binary 0/255, or labels 1, 2 if indexed)."""
    rng = np.random.default_rng(seed)
    for i in range(n):
        labels = np.zeros((H, W), np.uint8)
        labels[5:25, 5:25] = 1 if indexed else 255
        labels[25:40, 25:50] = 2 if indexed else 255  # touches the first: one part if binary
        boxes = [(5, 5, 25, 25, 3), (25, 25, 50, 40, 3)]
        _write_jpg(root / "images" / f"{i}.jpg", _image(rng, boxes))
        (root / "masks").mkdir(parents=True, exist_ok=True)
        Image.fromarray(labels, mode="L").save(root / "masks" / f"{i}.png")
    return root


def make_davis(
    root: Path, year: int = 2017, frames: int = 5, seed: int = 0, lists: str = "year"
) -> Path:
    """Two sequences, `bear` (one object) and `cars` (two objects in 2017), moving 2 px/frame.

    lists: "year" writes `ImageSets/<year>/{val,train}.txt` (sequence names, as the DAVIS-2017
    package); "480p" writes DAVIS-2016's `ImageSets/480p/{val,train}.txt` (one line per frame:
    `/JPEGImages/480p/<seq>/<frame>.jpg /Annotations/480p/<seq>/<frame>.png`); "none" no list.
    """
    rng = np.random.default_rng(seed)
    for seq, n_obj in (("bear", 1), ("cars", 2)):
        for t in range(frames):
            labels = np.zeros((H, W), np.uint8)
            boxes = []
            for k in range(n_obj):
                x0, y0 = 4 + 2 * t + 30 * k, 8 + 10 * k
                labels[y0 : y0 + 14, x0 : x0 + 16] = k + 1 if year == 2017 else 255
                boxes.append((x0, y0, x0 + 16, y0 + 14, k + 5))
            _write_jpg(root / "JPEGImages" / "480p" / seq / f"{t:05d}.jpg", _image(rng, boxes))
            mask_path = root / "Annotations" / "480p" / seq / f"{t:05d}.png"
            if year == 2017:
                _write_palette_png(mask_path, labels)
            else:
                mask_path.parent.mkdir(parents=True, exist_ok=True)
                Image.fromarray(labels, mode="L").save(mask_path)
    if lists == "year":
        (root / "ImageSets" / str(year)).mkdir(parents=True, exist_ok=True)
        (root / "ImageSets" / str(year) / "val.txt").write_text("bear\ncars\n")
        (root / "ImageSets" / str(year) / "train.txt").write_text("cars\n")
    elif lists == "480p":
        sets = root / "ImageSets" / "480p"
        sets.mkdir(parents=True, exist_ok=True)
        for split, seqs in (("val", ["bear"]), ("train", ["cars"])):
            lines = [
                f"/JPEGImages/480p/{q}/{t:05d}.jpg /Annotations/480p/{q}/{t:05d}.png"
                for q in seqs
                for t in range(frames)
            ]
            (sets / f"{split}.txt").write_text("\n".join(lines) + "\n")
    return root


def make_voc_pairs(root: Path, n_images: int) -> tuple[Path, list[str]]:
    """`root/VOC2012` of 16 x 16 images that each hold the five classes of Pascal-5i fold 0 (a
    2 x 12 band each, a 255 border row under it), and HSNet's fold-file lines
    `<image>__<class id>` for all pairs, in image then class order (5 per image)."""
    voc = root / "VOC2012"
    (voc / "SegmentationClassAug").mkdir(parents=True, exist_ok=True)
    (voc / "JPEGImages").mkdir(parents=True, exist_ok=True)
    names, pairs = [], []
    small = np.full((16, 16, 3), 120, np.uint8)
    for i in range(n_images):
        name = f"2007_{i:06d}"
        labels = np.zeros((16, 16), np.uint8)
        for c in range(1, 6):
            labels[3 * c - 2 : 3 * c, 2:14] = c
            labels[3 * c, 2:14] = 255
            pairs.append(f"{name}__{c}")
        cv2.imwrite(str(voc / "JPEGImages" / f"{name}.jpg"), small)
        Image.fromarray(labels, mode="L").save(voc / "SegmentationClassAug" / f"{name}.png")
        names.append(name)
    (voc / "ImageSets" / "Segmentation").mkdir(parents=True, exist_ok=True)
    (voc / "ImageSets" / "Segmentation" / "val.txt").write_text("\n".join(names) + "\n")
    return root, pairs


def make_fss_classes(root: Path, classes: list[str], images: int = 2) -> Path:
    """FSS-1000 layout with tiny 8 x 8 images: `root/<class>/<n>.jpg` + `<n>.png`."""
    mask = np.zeros((8, 8), np.uint8)
    mask[2:7, 2:7] = 255
    for c in classes:
        (root / c).mkdir(parents=True, exist_ok=True)
        for n in range(1, images + 1):
            cv2.imwrite(str(root / c / f"{n}.jpg"), np.full((8, 8, 3), 40 * n, np.uint8))
            cv2.imwrite(str(root / c / f"{n}.png"), mask)
    return root


def make_perseg(root: Path, fss_root: Path) -> Path:
    """PerSeg's layout, `root/Images/<class>/NN.jpg` + `root/Annotations/<class>/NN.png`, made
    from an FSS-1000-layout folder (its classes and images renumbered from 00)."""
    for cls in sorted(p for p in fss_root.iterdir() if p.is_dir() and p.name != "splits"):
        images = sorted(cls.glob("*.jpg"), key=lambda p: int(p.stem))
        for k, image in enumerate(images):
            for sub, src, ext in (("Images", image, ".jpg"), ("Annotations", image, ".png")):
                dest = root / sub / cls.name / f"{k:02d}{ext}"
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(src.with_suffix(ext).read_bytes())
    return root
