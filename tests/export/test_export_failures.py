"""Bad input names the file; OUT is all or nothing (errors, cancel, existing folders)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from export_helpers import Annotated

from samic_core.errors import SamicError
from samic_core.export import EXPORT_FORMATS, export_folder


def _missing_image(a: Annotated) -> Path:
    (a.folder / "b.png").unlink()
    return a.folder / "b.png"


def _mask_of_wrong_size(a: Annotated) -> Path:
    path = a.store.instances_path("b.png")
    cv2.imwrite(str(path), np.zeros((10, 10), np.uint16))
    return path


def _nan_point(a: Annotated) -> Path:
    path = a.store.json_path("a.png")
    data = json.loads(path.read_text())
    data["objects"][0]["points"] = [{"x": float("nan"), "y": 3.0, "positive": True}]
    path.write_text(json.dumps(data))  # json writes the NaN literal Python's json reads back
    return path


def _deeply_nested(a: Annotated) -> Path:
    path = a.store.json_path("a.png")
    path.write_text("[" * 100_000 + "]" * 100_000)
    return path


def _changed_image(a: Annotated) -> Path:
    cv2.imwrite(str(a.folder / "c.png"), np.zeros((80, 80, 3), np.uint8))
    return a.store.json_path("c.png")


def _image_named_by_a_path(a: Annotated) -> Path:
    """An annotation naming an image outside the folder (which exists there)."""
    outside = a.folder.parent / "outside"
    outside.mkdir()
    (outside / "a.png").write_bytes((a.folder / "a.png").read_bytes())
    path = a.store.json_path("a.png")
    data = json.loads(path.read_text())
    data["image"] = "../outside/a.png"
    path.write_text(json.dumps(data))
    return path


BREAKAGES = {
    "missing image": (_missing_image, "does not exist"),
    "mask of wrong size": (_mask_of_wrong_size, "does not match the image size"),
    "NaN point": (_nan_point, "finite number"),
    "deeply nested JSON": (_deeply_nested, "nested too deeply"),
    "changed image": (_changed_image, "hash mismatch"),
    "image named by a path": (_image_named_by_a_path, "'../outside/a.png' contains a path"),
}


def _leftovers(parent: Path) -> list[str]:
    return [p.name for p in parent.iterdir() if ".partial-" in p.name or ".old-" in p.name]


@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_bad_input_names_the_file_and_leaves_no_output(
    annotated: Annotated, tmp_path: Path, fmt: str, breakage: str
) -> None:
    breaker, problem = BREAKAGES[breakage]
    bad = breaker(annotated)
    out = tmp_path / "exports" / "out"
    with pytest.raises(SamicError) as err:
        export_folder(annotated.folder, fmt, out)
    assert str(bad) in str(err.value) and problem in str(err.value)
    assert not out.exists()
    assert _leftovers(out.parent) == []


def test_a_class_missing_from_classes_json_is_exported(annotated: Annotated, tmp_path: Path):
    """classes.json lost "dog" (an old writer clobbered it): the annotations still export."""
    annotated.store.save_classes(["cat", "bird"])  # "dog" is used by a.png and b.png
    export_folder(annotated.folder, "coco", tmp_path / "out")
    coco = json.loads((tmp_path / "out" / "instances.json").read_text())
    assert [c["name"] for c in coco["categories"]] == ["cat", "bird", "dog"]


def test_failure_keeps_an_existing_output_untouched(annotated: Annotated, tmp_path: Path) -> None:
    out = tmp_path / "out"
    export_folder(annotated.folder, "coco", out)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    _mask_of_wrong_size(annotated)
    with pytest.raises(SamicError):
        export_folder(annotated.folder, "yolo", out, overwrite=True)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before and _leftovers(tmp_path) == []


def test_non_empty_output_needs_overwrite(annotated: Annotated, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(SamicError, match="not empty"):
        export_folder(annotated.folder, "labelme", out)
    assert (out / "keep.txt").read_text() == "mine"
    export_folder(annotated.folder, "labelme", out, overwrite=True)
    assert not (out / "keep.txt").exists() and (out / "a.json").is_file()
    assert _leftovers(tmp_path) == []
    empty = tmp_path / "empty"
    empty.mkdir()
    export_folder(annotated.folder, "yolo", empty)  # an empty folder is fine
    assert (empty / "data.yaml").is_file()


def test_overwrite_never_replaces_the_image_folder(annotated: Annotated) -> None:
    with pytest.raises(SamicError, match="refusing"):
        export_folder(annotated.folder, "coco", annotated.folder, overwrite=True)
    with pytest.raises(SamicError, match="refusing"):
        export_folder(annotated.folder, "coco", annotated.store.dir, overwrite=True)
    assert annotated.store.exists("a.png")


def test_cancel_leaves_nothing_and_progress_counts(annotated: Annotated, tmp_path: Path) -> None:
    seen: list[tuple[int, int, str]] = []
    out = tmp_path / "out"
    report = export_folder(
        annotated.folder,
        "coco",
        out,
        progress=lambda done, total, name: seen.append((done, total, name)),
        should_stop=lambda: len(seen) >= 2,
    )
    assert report.cancelled and seen == [(1, 4, "a.png"), (2, 4, "b.png")]
    assert not out.exists() and _leftovers(tmp_path) == []


def test_folder_without_annotations(tmp_path: Path) -> None:
    (tmp_path / "imgs").mkdir()
    with pytest.raises(SamicError, match="no annotations folder"):
        export_folder(tmp_path / "imgs", "coco", tmp_path / "out")
    with pytest.raises(SamicError, match="unknown export format"):
        export_folder(tmp_path / "imgs", "tiff", tmp_path / "out")


def test_import_with_an_undecodable_mask_writes_nothing(annotated, tmp_path: Path):
    """Masks are decoded lazily, but all of them before the first write."""
    import json
    import shutil

    from samic_core.annotation import AnnotationStore
    from samic_core.errors import SamicError
    from samic_core.export import export_folder, import_folder

    export_folder(annotated.folder, "labelme", tmp_path / "lm", include_unreviewed=True)
    target = tmp_path / "fresh"
    target.mkdir()
    for name in ("a.png", "b.png"):
        shutil.copy(annotated.folder / name, target / name)
    src = tmp_path / "lm_src"
    src.mkdir()
    shutil.copy(tmp_path / "lm" / "a.json", src / "a.json")
    bad = json.loads((tmp_path / "lm" / "b.json").read_text())
    shape = bad["shapes"][0]
    shape.update(shape_type="mask", mask="bm90IGEgcG5n", points=shape["points"][:2])  # "not a png"
    (src / "b.json").write_text(json.dumps(bad))
    with pytest.raises(SamicError, match="b.json"):
        import_folder(src, "labelme", target)
    assert not (target / "annotations").exists() or not any((target / "annotations").iterdir())
    assert not AnnotationStore(target).exists("a.png")
