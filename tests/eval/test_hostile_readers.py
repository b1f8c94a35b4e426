"""Hostile datasets for the eval readers and `samic to-sambox`: a clear one-line error naming the
file, nothing written outside OUT, nothing decoded or allocated before the sizes are checked."""

from __future__ import annotations

import json
import os
import shutil
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from bench_layouts import H, W, make_coco, make_davis, make_folder, make_voc
from PIL import Image, ImageFile
from pycocotools.coco import COCO

from samic_core.cli.main import main
from samic_core.errors import FileProblem
from samic_core.eval.datasets import read_dataset
from samic_core.eval.davis import read_davis


def header_only_png(path: Path, width: int, height: int, bit_depth: int = 8) -> Path:
    """A PNG whose header claims width x height pixels, with one row of data: enough for any
    reader of the header, never decodable (and never to be decoded)."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        body = tag + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, 0, 0, 0, 0)
    row = zlib.compress(b"\x00" * (width * bit_depth // 8 + 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", row)
                     + chunk(b"IEND", b""))  # fmt: skip
    return path


@pytest.fixture
def no_decoding(monkeypatch):
    """Fail the test if any image, mask or COCO segmentation is decoded."""

    def refuse(*args, **kwargs):
        raise AssertionError("decoded before the sizes were checked")

    monkeypatch.setattr(cv2, "imdecode", refuse)
    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)
    monkeypatch.setattr(COCO, "annToMask", refuse)


def _files(root: Path, skip: Path | None = None) -> set[Path]:
    return {p for p in root.rglob("*") if skip is None or skip not in (p, *p.parents)}


def _run(capsys, argv: list[str]) -> tuple[int, list[str]]:
    code = main(argv)
    return code, [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("samic ")]


# ---- COCO-20i ------------------------------------------------------------------------------
def _coco(tmp_path: Path, part: str = "val2014") -> tuple[Path, Path, dict]:
    root = make_coco(tmp_path / "coco", part=part)
    ann = root / "annotations" / f"instances_{part}.json"
    return root, ann, json.loads(ann.read_text())


def _save(ann: Path, data: object) -> None:
    ann.write_text(json.dumps(data))  # NaN / Infinity literals as Python writes them


def test_to_sambox_refuses_a_category_that_names_a_path(tmp_path, capsys):
    root, ann, data = _coco(tmp_path, "train2014")
    data["categories"][1]["name"] = "../../x"  # cat1: on the training side of fold 0
    _save(ann, data)
    out = tmp_path / "a" / "b" / "out"
    before = _files(tmp_path)
    code, lines = _run(capsys, ["to-sambox", "--dataset", str(root), "--format", "coco20i",
                                "--fold", "0", "--out", str(out)])  # fmt: skip
    assert code == 2 and len(lines) == 1, lines
    assert str(ann) in lines[0] and "'../../x'" in lines[0], lines
    assert _files(tmp_path, skip=out) == before
    assert not out.exists() or not any(out.rglob("*.jpg"))


def test_to_sambox_refuses_a_file_name_sambox_cannot_open_before_writing(tmp_path, capsys):
    root, ann, data = _coco(tmp_path, "train2014")
    image = root / "train2014" / data["images"][1]["file_name"]  # cat1 and cat5: training side
    image.rename(image.with_suffix(".txt"))
    data["images"][1]["file_name"] = image.with_suffix(".txt").name
    _save(ann, data)
    out = tmp_path / "out"
    code, lines = _run(capsys, ["to-sambox", "--dataset", str(root), "--format", "coco20i",
                                "--fold", "0", "--out", str(out)])  # fmt: skip
    assert code == 2 and len(lines) == 1 and "not an image SAMBOX opens" in lines[0], lines
    assert not out.exists() or not any(out.rglob("*.jpg"))


@pytest.mark.parametrize("bad", ["absolute", "parent", "backslash"])
def test_coco_file_name_outside_the_image_folder_is_refused(tmp_path, bad):
    root, ann, data = _coco(tmp_path)
    outside = tmp_path / "secret.jpg"
    shutil.copy(root / "val2014" / data["images"][0]["file_name"], outside)
    name = {"absolute": str(outside), "parent": "../../secret.jpg",
            "backslash": "..\\..\\secret.jpg"}[bad]  # fmt: skip
    data["images"][0]["file_name"] = name
    _save(ann, data)
    with pytest.raises(FileProblem) as err:
        read_dataset(root, "coco20i", fold=0)
    assert str(err.value).startswith(f"{ann}: image file_name {name!r}"), err.value


def _set_segmentation(data: dict, seg: object) -> int:
    """Give the first annotation of image 0 (category cat0, fold 0) `seg`; its id."""
    data["annotations"][0]["segmentation"] = seg
    return data["annotations"][0]["id"]


HOSTILE_SEGMENTATIONS = {
    "NaN coordinate": [[4.0, float("nan"), 28.0, 4.0, 28.0, 20.0]],
    "infinite coordinate": [[4.0, float("inf"), 28.0, 4.0, 28.0, 20.0]],
    "coordinate 1e9": [[4.0, 1e9, 28.0, 4.0, 28.0, 20.0]],
    "coordinates not numbers": [[4.0, "4", 28.0, 4.0, 28.0, 20.0]],
    "outline a million pixels long": [[v for i in range(9000)
                                       for v in ((1.0, 1.0) if i % 2 else (60.0, 44.0))]],
    "polygons far too many in total": [[1.0, 1.0, 60.0, 44.0, 1.0, 44.0] * 200] * 60,
    "RLE counts past the image": {"size": [H, W], "counts": [0, H * W * 9]},
    "RLE string past the image": {"size": [H, W], "counts": "0Qo`0" * 50},
    "RLE string malformed": {"size": [H, W], "counts": "\x7f\x7f"},
    "RLE of another size": {"size": [8, 8], "counts": [64]},
    "RLE size not numbers": {"size": "big", "counts": [H * W]},
    "neither polygon nor RLE": "box",
}  # fmt: skip


@pytest.mark.parametrize("case", list(HOSTILE_SEGMENTATIONS))
def test_hostile_coco_segmentation_is_refused_before_decoding(tmp_path, no_decoding, case):
    root, ann, data = _coco(tmp_path)
    aid = _set_segmentation(data, HOSTILE_SEGMENTATIONS[case])
    _save(ann, data)
    ds = read_dataset(root, "coco20i", fold=0)
    with pytest.raises(FileProblem) as err:
        ds.load(ds.samples["cat0"][0])
    assert str(err.value).startswith(f"{ann}: annotation {aid}"), err.value


HOSTILE_ENTRIES = {
    "an image of 40000 x 40000": ("images", 0, {"width": 40000, "height": 40000}),
    "size as text": ("images", 0, {"width": "64"}),
    "negative size": ("images", 0, {"height": -48}),
    "no file_name": ("images", 0, {"file_name": None}),
    "annotation of an unknown image": ("annotations", 0, {"image_id": 999}),
    "annotation of an unknown category": ("annotations", 0, {"category_id": 999}),
    "category id as text": ("categories", 0, {"id": "10"}),
    "category without a name": ("categories", 0, {"name": None}),
    "two categories of one name": ("categories", 0, {"name": "cat4"}),
}


@pytest.mark.parametrize("case", list(HOSTILE_ENTRIES))
def test_hostile_coco_entries_are_refused_when_read(tmp_path, no_decoding, case):
    root, ann, data = _coco(tmp_path)
    key, k, change = HOSTILE_ENTRIES[case]
    data[key][k].update(change)
    _save(ann, data)
    with pytest.raises(FileProblem) as err:
        read_dataset(root, "coco20i", fold=0)
    assert str(err.value).startswith(f"{ann}: "), err.value


@pytest.mark.parametrize("text", ["[1, 2]", "[" * 100_000 + "]" * 100_000, "{"])
def test_a_coco_file_that_is_no_instances_file_is_refused(tmp_path, text):
    root, ann, _ = _coco(tmp_path)
    ann.write_text(text)
    with pytest.raises(FileProblem, match="not a readable COCO instances file") as err:
        read_dataset(root, "coco20i", fold=0)
    assert str(err.value).startswith(f"{ann}: ")


def test_a_coco_image_other_than_declared_is_refused_before_decoding(tmp_path, no_decoding):
    root, ann, data = _coco(tmp_path)
    image = root / "val2014" / data["images"][0]["file_name"]
    header_only_png(image.with_suffix(".png"), 4000, 3000).replace(image)
    ds = read_dataset(root, "coco20i", fold=0)
    with pytest.raises(FileProblem, match=f"image is 4000x3000 but {ann} says 64x48") as err:
        ds.load(ds.samples["cat0"][0])
    assert str(err.value).startswith(f"{image}: ")
    header_only_png(image.with_suffix(".png"), 40000, 40000).replace(image)
    with pytest.raises(FileProblem, match="image too large") as err:
        ds.load(ds.samples["cat0"][0])
    assert str(err.value).startswith(f"{image}: ")


def test_a_clean_coco_still_loads(tmp_path):
    root, _, _ = _coco(tmp_path)
    ds = read_dataset(root, "coco20i", fold=0)
    assert ds.load(ds.samples["cat0"][0]).n_components == 1


# ---- Pascal-5i -----------------------------------------------------------------------------
def test_pascal_list_naming_a_path_is_refused(tmp_path):
    root = make_voc(tmp_path / "voc")
    listed = root / "VOC2012" / "ImageSets" / "Segmentation" / "val.txt"
    shutil.copy(root / "VOC2012" / "JPEGImages" / "2008_000001.jpg", tmp_path / "secret.jpg")
    shutil.copy(root / "VOC2012" / "SegmentationClassAug" / "2008_000001.png",
                tmp_path / "secret.png")  # fmt: skip
    listed.write_text("2008_000000\n../../../secret\n")
    with pytest.raises(FileProblem) as err:
        read_dataset(root, "pascal5i", fold=0)
    assert str(err.value).startswith(f"{listed}: image '../../../secret'"), err.value


def test_pascal_list_that_is_no_text_is_refused(tmp_path):
    root = make_voc(tmp_path / "voc")
    listed = root / "VOC2012" / "ImageSets" / "Segmentation" / "val.txt"
    listed.write_bytes(b"\xff\xfe\x00 not text\n")
    with pytest.raises(FileProblem) as err:
        read_dataset(root, "pascal5i", fold=0)
    assert str(err.value).startswith(f"{listed}: cannot read the image list"), err.value


# ---- DAVIS ---------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["absolute", "with a slash"])
def test_davis_image_sets_naming_a_path_is_refused(tmp_path, bad):
    root = make_davis(tmp_path / "davis", 2017)
    evil = tmp_path / "evil"  # a sequence outside the dataset, frames and masks side by side
    evil.mkdir()
    for sub in ("JPEGImages", "Annotations"):
        for f in (root / sub / "480p" / "cars").iterdir():
            shutil.copy(f, evil / f.name)
    name = str(evil) if bad == "absolute" else "../../../evil"
    listed = root / "ImageSets" / "2017" / "val.txt"
    listed.write_text(f"bear\n{name}\n")
    with pytest.raises(FileProblem) as err:
        read_davis(root, 2017)
    assert str(err.value).startswith(f"{listed}: sequence {name!r}"), err.value


def test_to_sambox_davis_writes_nothing_outside_out(tmp_path, capsys):
    root = make_davis(tmp_path / "davis", 2017)
    evil = tmp_path / "evil"
    evil.mkdir()
    for sub in ("JPEGImages", "Annotations"):
        for f in (root / sub / "480p" / "cars").iterdir():
            shutil.copy(f, evil / f.name)
    listed = root / "ImageSets" / "2017" / "train.txt"
    listed.write_text(f"{evil}\n")
    out = tmp_path / "out"
    before = _files(tmp_path)
    code, lines = _run(capsys, ["to-sambox", "--dataset", str(root), "--format", "davis",
                                "--year", "2017", "--out", str(out)])  # fmt: skip
    assert code == 2 and len(lines) == 1 and str(listed) in lines[0], lines
    assert _files(tmp_path, skip=out) == before


def test_davis_mask_claiming_40000_squared_pixels_is_refused(tmp_path, no_decoding):
    root = make_davis(tmp_path / "davis", 2017)
    mask = root / "Annotations" / "480p" / "bear" / "00000.png"
    header_only_png(mask, 40000, 40000)
    with pytest.raises(FileProblem) as err:
        read_davis(root, 2017)
    assert str(err.value).startswith(f"{mask}: ") and "too large" in str(err.value), err.value


def test_davis_first_mask_of_another_size_is_refused_before_decoding(tmp_path, no_decoding):
    """A first-frame mask within the pixel budget but larger than its frame is refused from
    the headers, not decoded to find its objects."""
    root = make_davis(tmp_path / "davis", 2017)
    mask = header_only_png(root / "Annotations" / "480p" / "bear" / "00000.png", 4000, 3000)
    with pytest.raises(FileProblem, match=rf"mask is 4000x3000 but its image is {W}x{H}") as err:
        read_davis(root, 2017)
    assert str(err.value).startswith(f"{mask}: ")


# ---- image + mask folders ------------------------------------------------------------------
def test_folder_mask_claiming_40000_squared_pixels_is_refused(tmp_path, no_decoding):
    ds = read_dataset(make_folder(tmp_path / "k"), "folder")
    mask = header_only_png(ds.samples["k"][0].mask_path, 40000, 40000)
    with pytest.raises(FileProblem) as err:
        ds.load(ds.samples["k"][0])
    assert str(err.value).startswith(f"{mask}: ") and "too large" in str(err.value), err.value


def test_folder_mask_of_another_size_is_refused_before_decoding(tmp_path, no_decoding):
    ds = read_dataset(make_folder(tmp_path / "k"), "folder")
    mask = header_only_png(ds.samples["k"][0].mask_path, 4000, 3000)
    with pytest.raises(FileProblem, match=r"mask is 4000x3000 but its image is 64x48") as err:
        ds.load(ds.samples["k"][0])
    assert str(err.value).startswith(f"{mask}: ")


def test_folder_image_claiming_40000_squared_pixels_is_refused(tmp_path, no_decoding):
    root = make_folder(tmp_path / "k")
    (root / "images" / "0.jpg").unlink()
    image = header_only_png(root / "images" / "0.png", 40000, 40000)
    ds = read_dataset(root, "folder")
    sample = next(s for s in ds.samples["k"] if s.image_path == image)
    with pytest.raises(FileProblem) as err:
        ds.load(sample)
    assert str(err.value).startswith(f"{image}: ") and "too large" in str(err.value), err.value


def test_fss_mask_claiming_40000_squared_pixels_is_refused(tmp_path, no_decoding):
    root = make_folder(tmp_path / "k")  # FSS layout: <class>/<n>.jpg + <n>.png
    cls = tmp_path / "fss" / "a"
    cls.mkdir(parents=True)
    for i in range(2):
        shutil.copy(root / "images" / f"{i}.jpg", cls / f"{i}.jpg")
        shutil.copy(root / "masks" / f"{i}.png", cls / f"{i}.png")
    mask = header_only_png(cls / "0.png", 40000, 40000)
    ds = read_dataset(tmp_path / "fss", "fss")
    with pytest.raises(FileProblem) as err:
        ds.load(ds.samples["a"][0])
    assert str(err.value).startswith(f"{mask}: ") and "too large" in str(err.value), err.value


def _sixteen_bit_folder(root: Path, labels: np.ndarray) -> Path:
    make_folder(root, n=2)
    h, w = labels.shape
    for i in range(2):
        cv2.imwrite(str(root / "images" / f"{i}.jpg"), np.full((h, w, 3), 100, np.uint8))
        Image.fromarray(labels.astype(np.uint16)).save(root / "masks" / f"{i}.png")
    return root


def test_folder_mask_with_65535_labels_is_refused(tmp_path):
    labels = np.arange(256 * 256, dtype=np.uint32).reshape(256, 256) % 65536
    ds = read_dataset(_sixteen_bit_folder(tmp_path / "k", labels), "folder")
    mask = ds.samples["k"][0].mask_path
    with pytest.raises(FileProblem, match="65535 labels") as err:
        ds.load(ds.samples["k"][0])
    assert str(err.value).startswith(f"{mask}: ")


def test_folder_mask_of_labels_scattered_over_the_image_is_refused(tmp_path):
    """300 labels, each with a pixel on all four edges of the mask: each label's box is the
    whole mask, so each would cost a pass over all of it."""
    labels = np.zeros((100, 100), np.int64)
    for t in range(300):
        r, c = t // 100, t % 100
        labels[r, c] = labels[99 - r, 99 - c] = labels[c, r] = labels[99 - c, 99 - r] = t + 1
    ds = read_dataset(_sixteen_bit_folder(tmp_path / "k", labels), "folder")
    with pytest.raises(FileProblem, match="mask labels are scattered") as err:
        ds.load(ds.samples["k"][0])
    assert str(err.value).startswith(f"{ds.samples['k'][0].mask_path}: ")


def test_folder_instance_parts_match_per_label_components(tmp_path):
    """Many instances (16-bit labels, touching, one label in two places): one part per
    8-connected piece of each label of at least 16 pixels, as before."""
    rng = np.random.default_rng(1)
    labels = np.kron(rng.integers(0, 400, (12, 16)), np.ones((5, 5), np.int64))  # 60 x 80
    labels[0:5, 0:5] = labels[50:55, 70:75] = 399
    ds = read_dataset(_sixteen_bit_folder(tmp_path / "k", labels), "folder")
    t = ds.load(ds.samples["k"][0])
    expected = 0
    for value in np.unique(labels[labels > 0]):
        n, comp = cv2.connectedComponents((labels == value).astype(np.uint8), connectivity=8)
        expected += sum(int((comp == i).sum()) >= 16 for i in range(1, n))
    assert t.n_components == expected == int(t.components.max())
    for i in range(1, expected + 1):  # each part lies within one label
        assert len(np.unique(labels[t.components == i])) == 1


# ---- symbolic links out of the dataset -----------------------------------------------------
@pytest.mark.skipif(os.name != "posix", reason="symbolic links")
def test_to_sambox_does_not_copy_a_linked_file_from_outside_the_dataset(tmp_path, capsys):
    root = make_folder(tmp_path / "k")
    secret = tmp_path / "secret.jpg"
    (root / "images" / "0.jpg").replace(secret)
    (root / "images" / "0.jpg").symlink_to(secret)
    out = tmp_path / "out"
    code, lines = _run(capsys, ["to-sambox", "--dataset", str(root), "--format", "folder",
                                "--out", str(out)])  # fmt: skip
    assert code == 2 and len(lines) == 1 and "leads outside" in lines[0], lines
    assert not out.exists() or not any(out.rglob("*.jpg"))
