"""FSS-1000, PerSeg and SAMBOX readers, and the mask dataset -> SAMBOX converter."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from samic_core.annotation import AnnotationStore
from samic_core.errors import FileProblem, SamicError
from samic_core.eval.datasets import read_dataset, read_fss, read_perseg, read_sambox
from samic_core.eval.metrics import points_inside
from samic_core.eval.prompts import PromptRule
from samic_core.eval.to_sambox import export_sambox
from samic_core.testing import make_blob_image


def _write(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if array.ndim == 3:
        array = cv2.cvtColor(array, cv2.COLOR_RGB2BGR)
    assert cv2.imwrite(str(path), array)


def _fss_class(root: Path, name: str, n: int, size=(40, 50)) -> None:
    for i in range(1, n + 1):
        _write(root / name / f"{i}.jpg", make_blob_image(*size, [(20, 20, 8)], seed=i))
        mask = np.zeros(size, np.uint8)
        mask[10:30, 10:30] = 255
        mask[0, 0:5] = 128  # exactly HSNet's threshold: foreground
        mask[0, 5:10] = 127  # just below it
        _write(root / name / f"{i}.png", mask)


def test_fss_reader_orders_images_naturally_and_thresholds_at_128(tmp_path):
    _fss_class(tmp_path, "beta", 11)
    _fss_class(tmp_path, "alpha", 2)
    (tmp_path / "splits").mkdir()  # folders without images are not classes
    ds = read_fss(tmp_path)
    assert ds.classes == ["alpha", "beta"]
    assert [s.image_path.name for s in ds.samples["beta"]][:3] == ["1.jpg", "2.jpg", "3.jpg"]
    assert ds.samples["beta"][-1].image_path.name == "11.jpg"
    t = ds.load(ds.samples["alpha"][0])
    assert t.image.shape == (40, 50, 3) and t.mask.shape == (40, 50)
    assert t.mask[0, 0:5].all() and not t.mask[0, 5:10].any()
    assert t.n_components == 1  # the 5 px strip is below the component area floor
    assert t.points is None


def test_fss_reader_accepts_hsnet_datapath_and_split_file(tmp_path):
    _fss_class(tmp_path / "FSS-1000", "a", 2)
    _fss_class(tmp_path / "FSS-1000", "b", 2)
    _fss_class(tmp_path / "FSS-1000", "c", 2)
    split = tmp_path / "test.txt"
    split.write_text("# test classes\nc\n\na\n")
    ds = read_dataset(tmp_path, "fss", split)
    assert ds.classes == ["c", "a"]
    assert ds.describe()["split_file"] == str(split)
    split.write_text("a\nzebra\n")
    with pytest.raises(FileProblem, match="test.txt.*zebra"):
        read_fss(tmp_path, split)


def test_fss_reader_names_the_bad_file(tmp_path):
    _fss_class(tmp_path, "a", 2)
    (tmp_path / "a" / "2.png").unlink()
    with pytest.raises(FileProblem, match=r"2\.jpg: has no mask 2\.png"):
        read_fss(tmp_path)
    _write(tmp_path / "a" / "2.png", np.zeros((10, 10), np.uint8))
    ds = read_fss(tmp_path)
    with pytest.raises(FileProblem, match=r"2\.png: mask is 10x10 but its image is 50x40"):
        ds.load(ds.samples["a"][1])
    (tmp_path / "a" / "2.png").write_bytes(b"not a png")
    with pytest.raises(FileProblem, match="not a readable mask"):
        ds.load(ds.samples["a"][1])
    with pytest.raises(SamicError, match="no FSS-1000 class folders"):
        read_fss(tmp_path / "a")


def test_perseg_reader_pairs_images_with_annotations(tmp_path):
    for name in ("dog", "can"):
        for i in range(3):
            _write(tmp_path / "Images" / name / f"{i:02d}.jpg", make_blob_image(30, 30, seed=i))
            mask = np.zeros((30, 30, 3), np.uint8)
            mask[5:20, 5:20] = (0, 0, 128)  # PerSAM's eval: any non-zero grey is the object
            _write(tmp_path / "Annotations" / name / f"{i:02d}.png", mask)
    ds = read_perseg(tmp_path)
    assert ds.classes == ["can", "dog"]
    assert [s.image_path.name for s in ds.samples["dog"]] == ["00.jpg", "01.jpg", "02.jpg"]
    assert ds.load(ds.samples["dog"][0]).mask.sum() == 15 * 15
    with pytest.raises(FileProblem, match="not a PerSeg folder"):
        read_perseg(tmp_path / "Images")


def test_export_then_read_sambox_keeps_components_and_clicks(synth_fss, tmp_path):
    fss = read_fss(synth_fss)
    rule = PromptRule(points_per_component=2)
    store = export_sambox(fss, tmp_path / "sb", rule, classes=fss.classes[:2])
    assert store.load_classes() == fss.classes[:2]
    sb = read_sambox(tmp_path / "sb")
    assert sb.classes == fss.classes[:2]
    for name in sb.classes:
        assert len(sb.samples[name]) == len(fss.samples[name])
        for src, dst in zip(fss.samples[name], sb.samples[name], strict=True):
            a, b = fss.load(src), sb.load(dst)
            assert np.array_equal(a.image, b.image)
            assert b.n_components == a.n_components >= 1
            assert np.array_equal(b.mask, a.components > 0)
            assert np.allclose(b.points, rule.points(a.mask))
            assert points_inside(b.points, b.mask).all()
    with pytest.raises(SamicError, match="not an empty folder"):
        export_sambox(fss, tmp_path / "sb", rule)


def test_sambox_reader_leaves_out_unreviewed_predictions(synth_fss, tmp_path):
    fss = read_fss(synth_fss)
    export_sambox(fss, tmp_path / "sb", classes=fss.classes[:1])
    store = AnnotationStore(tmp_path / "sb")
    first = store.images()[0].name
    loaded = store.load(first)
    objs = [
        o.model_copy(update={"source": "predicted", "reviewed": False})
        for o in loaded.annotation.objects
    ]
    store.save(loaded.annotation.model_copy(update={"objects": objs}), loaded.instances)
    sb = read_sambox(tmp_path / "sb")
    assert sb.skipped == [first]
    assert len(sb.samples[fss.classes[0]]) == len(fss.samples[fss.classes[0]]) - 1
    with pytest.raises(SamicError, match="no annotated images"):
        read_sambox(tmp_path)
