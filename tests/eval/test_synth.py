"""The synthetic FSS-1000-layout generator and `samic synth`."""

from __future__ import annotations

import numpy as np
import pytest

from samic_core.cli.main import main
from samic_core.errors import SamicError
from samic_core.eval.datasets import read_fss, read_split_file
from samic_core.eval.synth import generate_dataset, make_classes


def test_layout_masks_and_splits(synth_fss):
    ds = read_fss(synth_fss)
    assert len(ds.classes) == 5
    instances = []
    for name in ds.classes:
        assert [s.image_path.name for s in ds.samples[name]] == ["1.jpg", "2.jpg", "3.jpg", "4.jpg"]
        for s in ds.samples[name]:
            t = ds.load(s)
            assert t.image.shape == (64, 64, 3)
            assert 0.005 < t.mask.mean() < 0.6
            instances.append(t.n_components)
    assert max(instances) >= 2  # some images show several instances
    splits = {k: read_split_file(synth_fss / "splits" / f"{k}.txt") for k in ("trn", "val", "test")}
    assert sorted(sum(splits.values(), [])) == sorted(ds.classes)
    assert all(splits.values())


def test_same_seed_same_bytes_and_classes_are_distinct(tmp_path):
    generate_dataset(tmp_path / "a", 3, 2, seed=7, size=48)
    generate_dataset(tmp_path / "b", 3, 2, seed=7, size=48)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.*"))
    assert len(files) == 3 * 2 * 2 + 3
    for f in files:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()
    specs = make_classes(40, np.random.default_rng(0))
    assert len({(s.shape, s.colour, s.texture) for s in specs}) == 40
    assert len({s.shape for s in specs[:10]}) == 10  # first classes differ in shape and colour


def test_cli_synth_refuses_a_non_empty_folder(tmp_path, capsys):
    out = tmp_path / "syn"
    assert (
        main(
            [
                "synth",
                str(out),
                "--classes",
                "2",
                "--images-per-class",
                "2",
                "--seed",
                "1",
                "--size",
                "40",
            ]
        )
        == 0
    )
    assert "wrote 2 classes x 2 images" in capsys.readouterr().out
    assert read_fss(out).classes
    assert main(["synth", str(out), "--classes", "2", "--images-per-class", "2"]) == 2
    assert "already exists" in capsys.readouterr().err
    with pytest.raises(SamicError, match="--classes"):
        generate_dataset(tmp_path / "x", 0, 2)
