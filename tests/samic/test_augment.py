"""Scale/colour variants (`--jitter`): seeded, identity first, and points move with the pixels."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from samic_core.train.augment import (
    SCALE_RANGE,
    VARIANTS,
    Variant,
    make_variants,
    warp_image,
    warp_points,
)


def test_variants_are_seeded_and_the_first_is_the_image() -> None:
    a, b = make_variants(3, 7, VARIANTS), make_variants(3, 7, VARIANTS)
    assert a == b and a[0].is_identity and len(a) == VARIANTS
    assert make_variants(4, 7, VARIANTS) != a and make_variants(3, 8, VARIANTS) != a
    for v in a[1:]:
        assert not v.is_identity and SCALE_RANGE[0] <= v.scale <= SCALE_RANGE[1]
    image = torch.rand(3, 32, 32)
    assert warp_image(image, a[0]) is image


@pytest.mark.parametrize("k", range(1, 9))
def test_a_point_lands_where_its_pixel_lands(k: int) -> None:
    """A bright pixel at (x, y) is found in the variant where warp_points says it is."""
    size, x, y = 96, 40.0, 57.0
    v = make_variants(11, k, 2)[1]
    image = torch.full((3, size, size), 0.5)
    image[:, int(y), int(x)] = 1.0
    moved = warp_points(np.array([[x, y]]), (size, size), v)
    diff = (warp_image(image, v) - warp_image(torch.full((3, size, size), 0.5), v)).abs().sum(0)
    if len(moved) == 0:  # zoomed in past the point: nothing of it is left in the frame
        assert v.scale > 1 and float(diff.max()) < 0.05
        return
    py, px = np.unravel_index(int(diff.argmax()), diff.shape)
    assert np.hypot(px - moved[0, 0], py - moved[0, 1]) <= 1.0


def test_zoom_out_pads_with_grey_and_points_outside_are_dropped() -> None:
    v = Variant(scale=0.75)
    out = warp_image(torch.ones(3, 40, 40), v)
    assert out[:, 0, 0].allclose(torch.full((3,), 0.5), atol=1e-6)  # the border, not a mirror
    assert out[:, 20, 20].allclose(torch.ones(3))
    zoom_in = Variant(scale=4 / 3)
    kept = warp_points(np.array([[1.0, 1.0], [20.0, 20.0]]), (40, 40), zoom_in)
    assert len(kept) == 1 and np.allclose(kept[0], [20.0, 20.0], atol=0.5)


def test_training_with_jitter_uses_the_variants(synthetic_folder, tiny_train_config, tmp_path):
    from samic_core.modelfile.meta import read_model_meta
    from samic_core.train.trainer import train

    out = tmp_path / "m.pt"
    result = train(tiny_train_config(synthetic_folder, out, epochs=1, jitter=True, flips=True))
    assert result.epochs_run == 1 and read_model_meta(out).config["jitter"] is True


def test_flips_follow_the_schedule_unless_asked_and_a_resume_keeps_them(
    synthetic_folder, tiny_train_config, tmp_path
):
    """auto trains with flips (docs/model.md, "Augmentations"), paper without; --flips /
    --no-flips override; a resumed run keeps what its file was trained with."""
    from samic_core.cli.main import build_parser
    from samic_core.cli.train import config_from_args
    from samic_core.modelfile.file import last_path_for
    from samic_core.modelfile.meta import read_model_meta
    from samic_core.train.trainer import train

    parse = build_parser().parse_args
    assert config_from_args(parse(["train", "f", "--out", "m.pt"])).flips is None
    assert config_from_args(parse(["train", "f", "--out", "m.pt", "--no-flips"])).flips is False
    assert config_from_args(parse(["train", "f", "--out", "m.pt", "--flips"])).flips is True
    assert config_from_args(parse(["train", "f", "--out", "m.pt"])).jitter is None
    assert config_from_args(parse(["train", "f", "--out", "m.pt", "--no-jitter"])).jitter is False
    assert config_from_args(parse(["train", "f", "--out", "m.pt", "--jitter"])).jitter is True
    plain = dict(schedule="auto", pixel_cue=False, jitter=False)  # the flips alone, quicker
    runs = {"auto": (plain, True), "paper": (dict(), False),
            "auto-off": ({**plain, "flips": False}, False)}  # fmt: skip
    for name, (kw, flips) in runs.items():
        out = tmp_path / f"{name}.pt"
        train(tiny_train_config(synthetic_folder, out, epochs=1, **{"flips": None, **kw}))
        assert read_model_meta(out).config["flips"] is flips, name
    resumed = tiny_train_config(synthetic_folder, tmp_path / "auto-off.pt", epochs=2,
                                schedule="auto", flips=None, jitter=False,
                                resume=last_path_for(tmp_path / "auto-off.pt"))  # fmt: skip
    train(resumed)
    assert read_model_meta(tmp_path / "auto-off.pt").config["flips"] is False
