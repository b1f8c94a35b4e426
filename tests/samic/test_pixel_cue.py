"""The pixel cue: it starts as a no-op, reads the images and the reference region, learns, and
model files record and rebuild it."""

from __future__ import annotations

import pytest
import torch

from samic_core.model.build import build_learner, build_samic
from samic_core.model.pixel_cue import PixelCue
from samic_core.modelfile.file import load_model_file
from samic_core.modelfile.meta import read_model_meta

S = 64


def _heat(b: int) -> torch.Tensor:
    heat = torch.zeros(b, S, S)
    heat[:, 20:28, 30:40] = 1.0
    return heat


def test_an_untrained_pixel_cue_leaves_the_output_unchanged() -> None:
    plain, _ = build_samic("resnet50", weights="none", image_size=S, appearance=True)
    cued, _ = build_samic("resnet50", weights="none", image_size=S, appearance=True,
                          pixel_cue=True)  # fmt: skip
    missing, unexpected = cued.learner.load_state_dict(plain.learner.state_dict(), strict=False)
    assert not unexpected and missing and all(k.startswith("pixel_cue.") for k in missing)
    torch.manual_seed(0)
    target, reference = torch.rand(2, 3, S, S), torch.rand(2, 3, S, S)
    with torch.no_grad():
        assert torch.equal(plain(target, reference, _heat(2)), cued(target, reference, _heat(2)))


def test_extract_carries_the_normalised_images_after_the_backbone_features() -> None:
    plain, _ = build_samic("resnet50", weights="none", image_size=S)
    cued, _ = build_samic("resnet50", weights="none", image_size=S, pixel_cue=True)
    images = torch.rand(2, 3, S, S)
    a, b = plain.extract(images), cued.extract(images)
    assert len(b) == len(a) + 1 == sum(cued.backbone.stage_sizes) + 1
    assert all(torch.equal(x, y) for x, y in zip(a, b[:-1], strict=False))
    mean, std = cued.backbone.mean, cued.backbone.std
    assert torch.allclose(b[-1], (images - mean) / std)
    # the presence gate reads the backbone's part only: the same deficits with or without
    heat = _heat(2)
    reference = torch.rand(2, 3, S, S)
    assert torch.equal(
        plain.evidence_deficit(a, plain.extract(reference), heat),
        cued.evidence_deficit(b, cued.extract(reference), heat),
    )


def test_the_cue_depends_on_the_target_and_on_the_reference_region() -> None:
    cue = PixelCue(out=8)
    torch.nn.init.normal_(cue.mix[-1].weight)  # past the zero start
    g = torch.Generator().manual_seed(1)
    image = lambda: torch.randn(1, 3, S, S, generator=g)  # noqa: E731
    target, reference = image(), image()
    heat = _heat(1)
    other = torch.zeros_like(heat)
    other[:, 40:60, 2:20] = 1.0
    out = cue(target, reference, heat)
    assert out.shape == (1, 8, S // 4, S // 4)
    assert not torch.allclose(out, cue(target, reference, other))  # the prompted region counts
    assert not torch.allclose(out, cue(image(), reference, heat))  # the target counts


def test_the_cue_gets_gradients_through_the_map() -> None:
    net, _ = build_samic("resnet50", weights="none", image_size=S, pixel_cue=True)
    torch.manual_seed(0)
    target, reference = net.extract(torch.rand(2, 3, S, S)), net.extract(torch.rand(2, 3, S, S))
    logits, _ = net.forward_parts(target, reference, _heat(2))
    assert logits.shape == (2, S, S)
    last = net.learner.pixel_cue.mix[-1].weight
    (grad,) = torch.autograd.grad(logits.sum(), [last])
    assert grad.abs().sum() > 0
    base = sum(p.numel() for p in build_learner("resnet50").parameters())
    cued = sum(p.numel() for p in build_learner("resnet50", pixel_cue=True).parameters())
    assert cued - base == sum(p.numel() for p in net.learner.pixel_cue.parameters()) == 124_432


def test_the_stem_learns_a_shape_that_the_colour_does_not_tell() -> None:
    """Squares and discs of one colour: after a few steps on the cue alone, the squares score
    higher than the discs (the reference prompts a square)."""
    import cv2
    import numpy as np

    def scene(seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        rng = np.random.default_rng(seed)
        img = np.full((S, S, 3), 90, np.uint8)
        target = np.zeros((S, S), np.float32)
        alike = np.zeros((S, S), np.float32)
        for k, (x, y) in enumerate(((16, 16), (48, 16), (16, 48), (48, 48))):
            x, y = x + int(rng.integers(-3, 4)), y + int(rng.integers(-3, 4))
            if (k + seed) % 2:
                cv2.rectangle(img, (x - 6, y - 6), (x + 6, y + 6), (200, 60, 60), -1)
                cv2.rectangle(target, (x - 6, y - 6), (x + 6, y + 6), 1.0, -1)
            else:
                cv2.circle(img, (x, y), 7, (200, 60, 60), -1)
                cv2.circle(alike, (x, y), 7, 1.0, -1)
        t = torch.from_numpy(img).permute(2, 0, 1).float()[None] / 255
        return (t - 0.5) / 0.25, torch.from_numpy(target)[None], torch.from_numpy(alike) > 0

    torch.manual_seed(0)
    cue = PixelCue(out=8)
    head = torch.nn.Conv2d(8, 1, 1)
    opt = torch.optim.Adam([*cue.parameters(), *head.parameters()], 3e-3)
    ref, ref_target, _ = scene(0)
    for step in range(60):
        image, target, _ = scene(1 + step % 4)
        logits = head(cue(image, ref, ref_target))
        small = torch.nn.functional.interpolate(target[:, None], (S // 4, S // 4), mode="area")
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, small)
        opt.zero_grad()
        loss.backward()
        opt.step()
    image, target, discs = scene(7)
    with torch.no_grad():
        score = torch.nn.functional.interpolate(
            head(cue(image, ref, ref_target)), (S, S), mode="bilinear"
        )[0, 0]
    squares = target[0] > 0.5
    assert squares.any() and discs.any()
    assert score[squares].mean() > score[discs].mean() + 1.0


@pytest.mark.parametrize("cue", ["appearance", "pixel_cue"])
@pytest.mark.parametrize("on", [False, True])
def test_model_files_record_and_rebuild_the_cue(tmp_path, tiny_train_config, cue, on) -> None:
    """Both optional cues (appearance and pixel): the file records it, the loaded net has it,
    and a resume that asks for the other setting is refused."""
    from samic_core.errors import SamicError
    from samic_core.testing.samic_task import write_synthetic_folder
    from samic_core.train.trainer import train

    folder = tmp_path / "f"
    write_synthetic_folder(folder, 4, size=64, seed=3)
    out = tmp_path / "m.pt"
    result = train(tiny_train_config(folder, out, epochs=1, **{cue: on}))
    assert getattr(read_model_meta(out), cue) is on
    net, _ = load_model_file(out, "cpu")
    assert (getattr(net.learner, cue) is not None) is on
    with pytest.raises(SamicError, match=f"{cue} = {on}; cannot resume"):
        train(tiny_train_config(folder, tmp_path / "c.pt", epochs=2,
                                resume=result.last_path, **{cue: not on}))  # fmt: skip


def test_the_pixel_cue_is_a_default_and_model_info_shows_it(tmp_path, capsys) -> None:
    """On under `auto` with jitter, off under `paper` (docs/model.md, "The pixel cue by
    default"): `samic train` with no flag trains one, and model-info counts it."""
    from samic_core.cli.main import main
    from samic_core.testing.samic_task import write_synthetic_folder
    from samic_core.train.schedule import SCHEDULES

    assert SCHEDULES["auto"].pixel_cue and SCHEDULES["auto"].jitter
    assert not SCHEDULES["paper"].pixel_cue and not SCHEDULES["paper"].jitter
    folder = tmp_path / "f"
    write_synthetic_folder(folder, 4, size=64, seed=3)
    model = tmp_path / "m.pt"
    argv = ["train", str(folder), "--out", str(model), "--epochs", "1", "--image-size", "64",
            "--device", "cpu", "--backbone-weights", "none",
            "--pixel-cue-drop", "0"]  # fmt: skip  # 0: always kept (test_cue_choice.py)
    assert main(argv) == 0
    meta = read_model_meta(model)
    assert meta.pixel_cue and meta.config["jitter"] is True
    assert main(["model-info", "--model", str(model)]) == 0
    out = capsys.readouterr().out
    assert "pixel cue yes" in out and "3,072,848" in out and "pixel_cue" in out
    assert "augmented with: flips, scale/colour variants, erased copies" in out


def test_features_without_the_images_are_refused_clearly() -> None:
    from samic_core.errors import SamicError

    plain, _ = build_samic("resnet50", weights="none", image_size=S)
    cued, _ = build_samic("resnet50", weights="none", image_size=S, pixel_cue=True)
    feats = plain.extract(torch.rand(1, 3, S, S))  # a model without the cue: no images
    with pytest.raises(SamicError, match="pixel cue and needs 14 feature maps"):
        cued.forward_parts(feats, feats, _heat(1))


def test_a_model_without_the_cue_writes_no_pixel_cue_field() -> None:
    """So the release before the cue still reads default models (it refuses unknown fields)."""
    from samic_core.modelfile.meta import ModelMeta

    meta = ModelMeta.from_dict(
        {"classes": ["a"], "backbone": "resnet50", "backbone_weights": "none",
         "backbone_sha256": "0" * 64, "image_size": 64, "output": "sigmoid",
         "support_resize": "max", "learnable_params": 1}, None,
    )  # fmt: skip
    assert "pixel_cue" not in meta.to_dict()
    cued = ModelMeta.from_dict({**meta.to_dict(), "pixel_cue": True}, None)
    assert cued.to_dict()["pixel_cue"] is True and cued.pixel_cue
    assert ModelMeta.from_dict(meta.to_dict(), None) == meta
