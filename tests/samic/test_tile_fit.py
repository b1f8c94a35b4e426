"""Fitting the peak rule of a model of tiles on its validation images whole (train/tile_fit.py):
it sees what `samic predict` sees, may go stricter or looser than the default, and keeps the
default with too few objects or when cancelled."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import cv2
import numpy as np
import pytest
import torch

from samic_core.annotation import AnnotationStore
from samic_core.fileio import read_image_rgb
from samic_core.heatmap import Peak
from samic_core.model.build import build_samic
from samic_core.model.samic_net import SamicNet
from samic_core.peaks import PeakRule
from samic_core.predict.predictor import SamicPredictor
from samic_core.predict.references import choose_references, encode_class_references
from samic_core.predict.tiled import peaks_from_tile_maps, reference_crop, tile_maps
from samic_core.testing.big_images import LABEL, BigSpec, write_big_folder
from samic_core.tiles import TileGrid
from samic_core.train import tile_fit
from samic_core.train.episodes import AnnotatedImage, Split, scan_folder

TILE = 128
SIDE = (384, 512)  # (H, W): a grid of 4 x 5 tiles of 128 px
RADIUS = 6  # px, every disc


class RedNet:
    """A stand-in network whose map is the target's red channel: the real fit runs on it, and
    a scene's discs set their peaks (objects 0.77, look-alikes 0.27: 0.35 of them)."""

    image_size = 64
    device = torch.device("cpu")

    def eval(self) -> RedNet:
        return self

    def extract(self, x: torch.Tensor) -> list[torch.Tensor]:
        return [x]

    def forward_features(self, target, references, heat) -> torch.Tensor:
        return target[0][:, 0]  # (K, S, S): the red channel against every reference

    def to_heatmap(self, logits: torch.Tensor) -> torch.Tensor:
        return logits


def _image(folder: Path, name: str, discs: list[tuple[int, int, int]], annotated: int):
    """An image of red discs (x, y, red) on black, brightest at the centre (one maximum each);
    the first `annotated` are the objects."""
    rgb = np.zeros((*SIDE, 3), np.uint8)
    yy, xx = np.mgrid[-RADIUS : RADIUS + 1, -RADIUS : RADIUS + 1]
    cone = np.clip(1 - (xx**2 + yy**2) / RADIUS**2, 0, 1)
    for x, y, red in discs:
        rgb[y - RADIUS : y + RADIUS + 1, x - RADIUS : x + RADIUS + 1, 0] = np.rint(red * cone)
    path = folder / name
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    sites = np.array([[x, y, RADIUS] for x, y, _ in discs[:annotated]], np.float64).reshape(-1, 3)
    return AnnotatedImage(name, path, SIDE, {LABEL: sites[:, :2]}, {LABEL: annotated},
                          sites={LABEL: sites}, done=True)  # fmt: skip


def _scene(folder: Path, strong: int, weak: int, weak_red: int, alikes: int) -> Split:
    """Two training images and one validation image: `strong` bright objects, `weak` objects
    at `weak_red`, and `alikes` unannotated discs at 70 (0.35 of the objects) among them."""
    folder.mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    cells = [(24 + 48 * i, 24 + 48 * j) for i in range(10) for j in range(8)]  # 48 px apart
    order = rng.permutation(len(cells))
    at = [cells[k] for k in order[: strong + weak + alikes]]
    red = [200] * strong + [weak_red] * weak + [70] * alikes
    discs = [(x, y, r) for (x, y), r in zip(at, red, strict=True)]
    val = _image(folder, "val.png", discs, strong + weak)
    refs = [_image(folder, f"ref{i}.png", [(40 + 100 * i, 60, 200), (300, 200, 200)], 2)
            for i in range(2)]  # fmt: skip
    return Split(refs, [val])


def _fit(split: Split, **kw):
    net = cast(SamicNet, RedNet())
    return tile_fit.fit_on_whole_images(net, [*split.train, *split.val], split, TILE, **kw)


def test_look_alikes_in_the_whole_image_make_the_rule_stricter(tmp_path: Path):
    """60 objects and 20 look-alikes at 0.35 of the strongest peak: the default 0.3 prompts
    every look-alike (precision 0.75); the fit goes stricter and drops them, finding every
    object."""
    split = _scene(tmp_path, strong=60, weak=0, weak_red=0, alikes=20)
    fit = _fit(split)
    assert fit is not None and fit.objects == 60 and fit.targets == 1
    assert fit.rule.threshold > 0.3 and fit.recall == 1.0 and fit.precision >= 0.9
    net = cast(SamicNet, RedNet())
    refs = {LABEL: tile_fit.encode_references(net, split.train, LABEL, TILE, 5, "fp32")}
    looked = tile_fit.look_at(net, split.val[0], refs, TILE, [0.1], PeakRule(), "fp32",
                              lambda: False)  # fmt: skip
    (default,) = tile_fit.score_rules(looked, [PeakRule()])
    assert default.found == 60 and default.true / default.peaks < 0.8  # the look-alikes too


def test_weak_objects_beside_strong_ones_make_the_rule_looser(tmp_path: Path):
    """Half the objects at 0.26 of the strongest peak: the default finds only the strong
    half; the fit lowers the threshold and finds them all."""
    split = _scene(tmp_path, strong=30, weak=30, weak_red=51, alikes=0)
    fit = _fit(split)
    assert fit is not None and fit.objects == 60
    assert fit.rule.threshold < 0.3 and fit.recall == 1.0 and fit.precision >= 0.9


def test_too_few_objects_or_a_cancel_keep_the_default(tmp_path: Path):
    few = _scene(tmp_path / "few", strong=tile_fit.MIN_OBJECTS - 1, weak=0, weak_red=0, alikes=20)
    assert _fit(few) is None
    enough = _scene(tmp_path / "enough", strong=tile_fit.MIN_OBJECTS, weak=0, weak_red=0, alikes=20)
    assert _fit(enough) is not None
    assert _fit(enough, stop=lambda: True) is None


# ---- what `samic predict` sees ----------------------------------------------------------------
# train may not import predict, so tile_fit repeats the lines that cut the references, look at
# the tiles and join their peaks; these tests hold them to predict's.
SPEC = BigSpec(height=600, width=800, diameter=(16, 24), targets=14, lookalikes=14, clutter=20)


def test_the_fit_takes_the_references_samic_predict_takes(tmp_path: Path):
    """The same images (done ones first, then by name), cut to the same windows, encoded alike."""
    folder = tmp_path / "big"
    write_big_folder(folder, SPEC, seed=3, indices=range(3))
    store = AnnotationStore(folder)
    loaded = store.load("big_000.png")  # not done: it comes after the done ones
    store.save(loaded.annotation.model_copy(update={"done": False}), loaded.instances)
    net, _ = build_samic("resnet50", weights="none", image_size=64)
    predictor = SamicPredictor(net)
    chosen = choose_references(store, LABEL, k=2)
    theirs = encode_class_references(predictor, store, LABEL, chosen, tile=TILE)
    ours = tile_fit.encode_references(net, scan_folder(folder), LABEL, TILE, 2, "fp32")
    assert [p.name for p, _ in chosen] == ["big_001.png", "big_002.png"]
    assert ours.object_radius == pytest.approx(theirs.object_radius)
    assert torch.equal(ours.heat, theirs.heat)
    assert all(torch.equal(a, b) for a, b in zip(ours.feats, theirs.feats, strict=True))


def _place(p: Peak) -> tuple[float, float]:
    return p.x, p.y


def test_the_fit_sees_the_peaks_samic_predict_gives(tmp_path: Path):
    """Few objects among many look-alikes: tiles holding look-alikes only, discs in the strips
    that neighbouring tiles share; every rule's peaks are predict's (tile_maps and
    peaks_from_tile_maps on the same network)."""
    split = _scene(tmp_path, strong=10, weak=10, weak_red=150, alikes=30)
    net = cast(SamicNet, RedNet())
    predictor = SamicPredictor(net)
    ours = tile_fit.encode_references(net, split.train, LABEL, TILE, 5, "fp32")
    image = split.val[0]
    pixels = read_image_rgb(image.path)
    crops = [reference_crop(read_image_rgb(im.path), im.points[LABEL], TILE) for im in split.train]
    theirs = predictor.encode_references([c for c, _ in crops], [p for _, p in crops],
                                         ours.object_radius)  # fmt: skip
    grid = TileGrid(*SIDE, TILE, TILE // 4)
    (maps,) = tile_maps(predictor, pixels, grid, [theirs])
    floors = [0.01, 0.3]
    (looked,) = tile_fit.look_at(net, image, {LABEL: ours}, TILE, floors, PeakRule(), "fp32",
                                 lambda: False)  # fmt: skip
    assert looked.tiled and looked.side == TILE and len(looked.sites) == 20
    counts = set()
    for threshold, floor in [(0.3, 0.01), (0.8, 0.01), (0.7, 0.01), (0.5, 0.3)]:
        rule = PeakRule(threshold=threshold, floor=floor).with_object_radius(ours.object_radius)
        expected = peaks_from_tile_maps(predictor, maps, rule, TILE)
        got = tile_fit.join_peaks(looked.peaks[floor], rule, TILE)
        assert len(got) == len(expected)
        counts.add(len(got))
        for a, b in zip(sorted(got, key=_place), sorted(expected, key=_place), strict=True):
            assert (a.x, a.y, a.score) == pytest.approx((b.x, b.y, b.score), abs=1e-5)
    assert len(counts) == 3  # the rules differ: look-alikes in and out, weak objects in and out
    merged_nothing = tile_fit.join_peaks(looked.peaks[0.01], rule, None)
    assert len(merged_nothing) > len(got)  # discs in the shared strips: found twice, merged
