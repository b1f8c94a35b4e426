"""Big images decoded once to disk and memory-mapped (samic_core/raster.py)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from samic_core import raster
from samic_core.errors import ImageReadError
from samic_core.fileio import read_image_rgb
from samic_core.testing import make_blob_image


def write_image(path: Path, rgb: np.ndarray) -> Path:
    assert cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return path


@pytest.fixture
def big(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(raster, "RASTER_PIXELS", 10_000)  # anything over 100 x 100 is "big"
    monkeypatch.setattr(raster, "OVERVIEW_SIDE", 64)
    return write_image(tmp_path / "big.png", make_blob_image(300, 200, [(60, 80, 30)], 1))


def test_a_big_image_is_memory_mapped_from_its_decoded_copy(big, tmp_path, monkeypatch):
    r = raster.open_raster(big, "abc", tmp_path / "rasters")
    assert r.mapped and r.shape == (300, 200)
    assert np.array_equal(np.asarray(r.pixels), read_image_rgb(big))
    # the child used the module's default overview side; the overview keeps the aspect
    assert r.overview.shape[0] / r.overview.shape[1] == pytest.approx(1.5, abs=0.02)
    assert r.scale == pytest.approx(r.overview.shape[0] / 300)

    def no_child(*_: object) -> None:
        raise AssertionError("decoded again")

    monkeypatch.setattr(raster, "_decode_in_child", no_child)
    again = raster.open_raster(big, "abc", tmp_path / "rasters")  # the copy on disk is reused
    assert np.array_equal(np.asarray(again.pixels), np.asarray(r.pixels))


def test_a_torn_copy_is_decoded_again(big, tmp_path):
    folder = tmp_path / "rasters"
    raster.open_raster(big, "abc", folder)
    (folder / "abc.rgb").write_bytes(b"\0" * 10)  # a killed write: the size no longer fits
    r = raster.open_raster(big, "abc", folder)
    assert np.array_equal(np.asarray(r.pixels), read_image_rgb(big))


def test_small_images_and_no_folder_stay_in_memory(tmp_path):
    path = write_image(tmp_path / "s.png", make_blob_image(60, 80, [(30, 30, 10)], 1))
    r = raster.open_raster(path, "x", tmp_path / "rasters")
    assert not r.mapped and r.scale == 1.0 and r.overview is r.pixels
    assert not (tmp_path / "rasters").exists()


def test_a_broken_big_image_names_the_file(big, tmp_path, monkeypatch):
    bad = tmp_path / "bad.png"
    bad.write_bytes(big.read_bytes()[:200])  # a valid header, truncated pixels
    with pytest.raises(ImageReadError, match="bad.png"):
        raster.open_raster(bad, "bad", tmp_path / "rasters")


def test_only_the_most_recent_copies_are_kept(big, tmp_path, monkeypatch):
    monkeypatch.setattr(raster, "KEEP", 2)
    folder = tmp_path / "rasters"
    for sha in ("a", "b", "c"):
        raster.open_raster(big, sha, folder)
    assert sorted(p.name for p in folder.glob("*.json")) == ["b.json", "c.json"]
    assert not (folder / "a.rgb").exists()


def test_a_middle_sized_image_stays_in_memory_with_an_overview(tmp_path, monkeypatch):
    monkeypatch.setattr(raster, "OVERVIEW_PIXELS", 1_000)  # 60 x 80 is over it
    monkeypatch.setattr(raster, "OVERVIEW_SIDE", 40)
    rgb = make_blob_image(60, 80, [(30, 30, 10)], 1)
    path = write_image(tmp_path / "m.png", rgb)
    r = raster.open_raster(path, "x", tmp_path / "rasters")
    assert not r.mapped and np.array_equal(r.pixels, rgb)
    assert r.overview.shape == (30, 40, 3) and r.scale == 0.5  # shown from the overview
    assert not (tmp_path / "rasters").exists()


def test_an_overview_alone_is_decoded_for_embedding_and_a_full_copy_later(big, tmp_path):
    folder = tmp_path / "rasters"
    overview, shape = raster.open_overview(big, "abc", folder)
    assert shape == (300, 200) and not (folder / "abc.rgb").exists()  # no copy of the pixels
    r = raster.open_raster(big, "abc", folder)  # the app opens it: now with its pixels
    assert r.mapped and np.array_equal(np.asarray(r.pixels), read_image_rgb(big))
    assert np.array_equal(r.overview, overview)
    small = write_image(tmp_path / "small.png", make_blob_image(60, 80, [(30, 30, 10)], 1))
    assert raster.open_overview(small, "s", folder) is None  # small images are read as before


def test_one_decode_when_two_threads_open_the_same_image(big, tmp_path, monkeypatch):
    import threading

    calls = []
    real = raster._decode_in_child

    def counted(*args: object) -> None:
        calls.append(args[0])
        real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(raster, "_decode_in_child", counted)
    folder = tmp_path / "rasters"
    threads = [
        threading.Thread(target=raster.open_raster, args=(big, "abc", folder)) for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
