"""Hostile import files: one line naming the file, exit 2, nothing written, nothing allocated."""

from __future__ import annotations

import base64
import io
import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from samic_core.annotation import AnnotationStore
from samic_core.cli.main import main

SIZE = 64


def _coco(**changes) -> dict:
    image = {"id": 1, "file_name": "a.png", "width": SIZE, "height": SIZE}
    ann = {"id": 7, "image_id": 1, "category_id": 1, "iscrowd": 0,
           "segmentation": [[10, 10, 40, 10, 40, 40, 10, 40]]}  # fmt: skip
    image.update(changes.pop("image", {}))
    ann.update(changes.pop("ann", {}))
    return {"images": [image], "annotations": [ann], "categories": [{"id": 1, "name": "box"}]}


def _wiggle() -> list[float]:
    """A polygon inside the image whose outline is a million pixels long."""
    return [v for i in range(9000) for v in ((1.0, 1.0) if i % 2 else (63.0, 63.0))]


HOSTILE_COCO = {
    "NaN coordinate": _coco(ann={"segmentation": [[10, float("nan"), 40, 10, 40, 40]]}),
    "infinite coordinate": _coco(ann={"segmentation": [[10, float("inf"), 40, 10, 40, 40]]}),
    "coordinate 1e300": _coco(ann={"segmentation": [[10, 1e300, 40, 10, 40, 40]]}),
    "coordinate 1e7": _coco(ann={"segmentation": [[10, 1e7, 40, 10, 40, 40]]}),
    "integer coordinate 10**400": _coco(ann={"segmentation": [[10, 10**400, 40, 10, 40, 40]]}),
    "outline a million pixels long": _coco(ann={"segmentation": [_wiggle()]}),
    "coordinates that are not numbers": _coco(ann={"segmentation": [[True, 1, "2", 3, 4, 5]]}),
    "a 10^6 x 10^6 image": _coco(image={"width": 10**6, "height": 10**6}),
    "size as text": _coco(image={"width": "64"}),
    "negative size": _coco(image={"height": -64}),
    "RLE counts past the image": _coco(ann={"segmentation": {"size": [SIZE, SIZE],
                                                             "counts": [0, SIZE * SIZE * 9]}}),
    "RLE string past the image": _coco(ann={"segmentation": {"size": [SIZE, SIZE],
                                                             "counts": "0Qo`0" * 50}}),
    "RLE of another size": _coco(ann={"segmentation": {"size": [8, 8], "counts": [64]}}),
    "image id of the wrong type": _coco(ann={"image_id": "1"}),
}  # fmt: skip


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    f = tmp_path / "images"
    f.mkdir()
    cv2.imwrite(str(f / "a.png"), np.full((SIZE, SIZE, 3), 90, np.uint8))
    return f


def _run(capsys, argv: list[str]) -> tuple[int, list[str]]:
    code = main(argv)
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("samic ")]
    return code, lines


@pytest.mark.parametrize("case", list(HOSTILE_COCO))
def test_hostile_coco_is_refused_before_decoding(folder, tmp_path, capsys, case):
    src = tmp_path / "coco.json"
    src.write_text(json.dumps(HOSTILE_COCO[case]))  # NaN / Infinity literals as Python writes
    code, lines = _run(capsys, ["import", str(src), "--format", "coco", "--into", str(folder)])
    assert code == 2 and len(lines) == 1 and str(src) in lines[0], lines
    assert not (folder / "annotations").exists()


def test_an_integer_longer_than_python_reads_is_refused(folder, tmp_path, capsys):
    src = tmp_path / "coco.json"
    text = json.dumps(_coco()).replace("[[10, 10,", "[[" + "9" * 5000 + ", 10,")
    src.write_text(text)
    code, lines = _run(capsys, ["import", str(src), "--format", "coco", "--into", str(folder)])
    assert code == 2 and len(lines) == 1 and str(src) in lines[0], lines
    assert not (folder / "annotations").exists()


def test_deeply_nested_coco_is_refused(folder, tmp_path, capsys):
    src = tmp_path / "coco.json"
    src.write_text("[" * 100_000 + "]" * 100_000)
    code, lines = _run(capsys, ["import", str(src), "--format", "coco", "--into", str(folder)])
    assert code == 2 and "nested too deeply" in lines[0] and str(src) in lines[0]


def test_a_well_formed_coco_still_imports(folder, tmp_path, capsys):
    src = tmp_path / "coco.json"
    src.write_text(json.dumps(_coco()))
    code, _ = _run(capsys, ["import", str(src), "--format", "coco", "--into", str(folder)])
    assert code == 0
    assert AnnotationStore(folder).load("a.png").instances[20, 20] == 1


def _labelme(tmp_path: Path, shape: dict, **top) -> Path:
    src = tmp_path / "lm"
    src.mkdir(exist_ok=True)
    data = {"imagePath": "a.png", "imageHeight": SIZE, "imageWidth": SIZE, "shapes": [shape]}
    data.update(top)
    (src / "a.json").write_text(json.dumps(data))
    return src / "a.json"


def _png_b64(w: int, h: int) -> str:
    buf = io.BytesIO()
    Image.new("L", (w, h), 255).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


HOSTILE_LABELME = {
    "NaN point": ({"label": "x", "points": [[1, 1], [float("nan"), 5], [9, 9]]}, {}),
    "point at 1e300": ({"label": "x", "points": [[1, 1], [1e300, 5], [9, 9]]}, {}),
    "a 10^6 x 10^6 image": (
        {"label": "x", "points": [[1, 1], [5, 5], [9, 9]]},
        {"imageHeight": 10**6, "imageWidth": 10**6},
    ),
    "mask larger than the image": (
        {
            "label": "x",
            "shape_type": "mask",
            "points": [[0, 0], [63, 63]],
            "mask": _png_b64(4000, 4000),
        },
        {},
    ),  # fmt: skip
}


@pytest.mark.parametrize("case", list(HOSTILE_LABELME))
def test_hostile_labelme_is_refused(folder, tmp_path, capsys, case):
    shape, top = HOSTILE_LABELME[case]
    src = _labelme(tmp_path, shape, **top)
    code, lines = _run(
        capsys, ["import", str(src.parent), "--format", "labelme", "--into", str(folder)]
    )
    assert code == 2 and len(lines) == 1 and str(src) in lines[0], lines
    assert not AnnotationStore(folder).exists("a.png")


def test_an_image_over_the_size_limit_is_refused_by_name(folder, tmp_path, capsys, monkeypatch):
    from samic_core.export import importing

    monkeypatch.setattr(importing, "MAX_PIXELS", SIZE * SIZE - 1)
    src = tmp_path / "coco.json"
    src.write_text(json.dumps(_coco()))
    code, lines = _run(capsys, ["import", str(src), "--format", "coco", "--into", str(folder)])
    assert code == 2 and str(folder / "a.png") in lines[0] and "at most 4095 pixels" in lines[0]


def test_pillow_guard_is_raised_to_samics_limit():
    from samic_core.annotation.models import MAX_PIXELS
    from samic_core.export import importing

    assert Image.MAX_IMAGE_PIXELS * 2 >= MAX_PIXELS > 182_000_000
    assert importing.PIL_LIMIT == MAX_PIXELS // 2


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_import_overwrite_into_a_read_only_folder(folder, tmp_path, capsys, monkeypatch):
    src = tmp_path / "coco.json"
    src.write_text(json.dumps(_coco()))
    assert main(["import", str(src), "--format", "coco", "--into", str(folder)]) == 0
    ann_dir = folder / "annotations"
    before = {p.name: p.read_bytes() for p in ann_dir.iterdir() if p.is_file()}
    os.chmod(ann_dir, 0o555)
    if os.geteuid() == 0:  # root ignores the mode: refuse new files the way the kernel would

        def refused(*args, **kwargs):
            raise PermissionError(13, "Permission denied", str(ann_dir))

        monkeypatch.setattr("samic_core.fileio.tempfile.mkstemp", refused)
    try:
        code, lines = _run(capsys, ["import", str(src), "--format", "coco", "--into",
                                    str(folder), "--overwrite"])  # fmt: skip
    finally:
        os.chmod(ann_dir, 0o755)
    assert code == 2 and len(lines) == 1 and "Permission denied" in lines[0]
    assert {p.name: p.read_bytes() for p in ann_dir.iterdir() if p.is_file()} == before


# In a fresh process: VmHWM is this process's own peak (ru_maxrss carries the parent's).
IMPORT_AND_MEASURE = """
import re, sys
from pathlib import Path
from samic_core.cli.main import main
peak = lambda: int(re.search(r"VmHWM:\\s*(\\d+) kB", Path("/proc/self/status").read_text())[1])
before = peak()
code = main(["import", sys.argv[1], "--format", "coco", "--into", sys.argv[2]])
print(code, (peak() - before) * 1024)
"""


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="reads Linux's VmHWM")
def test_many_small_objects_on_a_big_image_import_within_the_memory_budget(tmp_path: Path):
    """150 small polygons on a 4000 x 3000 image: each object's mask is kept cropped, never
    150 full-size masks at once (that was 1.8 GB)."""
    import subprocess
    import sys

    h, w = 3000, 4000
    folder = tmp_path / "big"
    folder.mkdir()
    cv2.imwrite(str(folder / "a.png"), np.zeros((h, w, 3), np.uint8))
    anns = [
        {"id": k + 1, "image_id": 1, "category_id": 1, "iscrowd": 0,
         "segmentation": [[x, y, x + 20, y, x + 20, y + 20, x, y + 20]]}
        for k, (x, y) in enumerate((20 + 250 * (k % 15), 20 + 250 * (k // 15)) for k in range(150))
    ]  # fmt: skip
    coco = {"images": [{"id": 1, "file_name": "a.png", "width": w, "height": h}],
            "annotations": anns, "categories": [{"id": 1, "name": "box"}]}  # fmt: skip
    src = tmp_path / "coco.json"
    src.write_text(json.dumps(coco))
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, "-c", IMPORT_AND_MEASURE, str(src), str(folder)],
                          capture_output=True, text=True, env=env, check=True)  # fmt: skip
    code, grew = (int(v) for v in done.stdout.split()[-2:])
    assert code == 0, done.stderr
    assert len(AnnotationStore(folder).load_json("a.png").objects) == 150
    assert grew < 256 * 2**20, f"the import grew the peak by {grew / 2**20:.0f} MiB"
