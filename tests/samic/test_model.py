"""Shapes, dtypes, parameter counts and the frozen backbone of the SAMIC network."""

from __future__ import annotations

import pytest
import torch

from samic_core.errors import SamicError
from samic_core.heatmap import points_to_heatmap
from samic_core.model.backbone import load_backbone
from samic_core.model.build import build_learner, build_samic
from samic_core.model.correlation import (
    cosine_correlation,
    hypercorrelation,
    resize_heatmap,
)

S = 64


@pytest.fixture(scope="module")
def net():
    net, _ = build_samic("resnet50", weights="none", image_size=S)
    return net


def test_parameter_count_matches_the_paper() -> None:
    learner = build_learner("resnet50")
    assert sum(p.numel() for p in learner.parameters() if p.requires_grad) == 2_573_217
    assert learner.parameter_breakdown() == {
        "encoder_layer4": 167_584,
        "encoder_layer3": 171_520,
        "encoder_layer2": 202_688,
        "encoder_layer4to3": 886_272,
        "encoder_layer3to2": 886_272,
        "decoder1": 221_376,
        "decoder2": 37_505,
    }
    # ResNet-101: 23 layer3 correlations feed the layer3 squeeze (17 more input channels, k=5)
    r101 = sum(p.numel() for p in build_learner("resnet101").parameters())
    assert r101 == 2_573_217 + 17 * 16 * 5 * 5 * 2


def test_backbone_features_and_freezing(net) -> None:
    x = torch.rand(2, 3, S, S)
    feats = net.extract(x)
    shapes = [tuple(f.shape) for f in feats]
    assert shapes == [(2, 512, 8, 8)] * 4 + [(2, 1024, 4, 4)] * 6 + [(2, 2048, 2, 2)] * 3
    assert all(f.dtype == torch.float32 and not f.requires_grad for f in feats)
    net.train()
    assert not net.backbone.training and net.learner.training
    assert not any(p.requires_grad for p in net.backbone.parameters())
    # features are taken before the block's ReLU, so they have negative values
    assert all((f < 0).any() for f in feats)


def test_block_shapes_at_224() -> None:
    """The shape walk-through of the spec (section 1.13) on the learner alone."""
    learner = build_learner("resnet50")
    b = 1
    corr4 = torch.rand(b, 3, 7, 7, 7, 7)
    corr3 = torch.rand(b, 6, 14, 14, 14, 14)
    corr2 = torch.rand(b, 4, 28, 28, 28, 28)
    with torch.no_grad():
        sq4 = learner.encoder_layer4(corr4)
        sq3 = learner.encoder_layer3(corr3)
        sq2 = learner.encoder_layer2(corr2)
        assert sq4.shape == (b, 128, 7, 7, 1, 1)
        assert sq3.shape == (b, 128, 14, 14, 1, 1)
        assert sq2.shape == (b, 128, 28, 28, 1, 1)
        assert learner.encoder_layer2[0](corr2).shape == (b, 16, 28, 28, 7, 7)
        out = learner([corr4, corr3, corr2])
    assert out.shape == (b, 1, 56, 56) and out.dtype == torch.float32


def test_forward_and_heatmap_outputs(net) -> None:
    t, r = torch.rand(2, 3, S, S), torch.rand(2, 3, S, S)
    heat = torch.from_numpy(points_to_heatmap([(20, 30)], (S, S)))[None].repeat(2, 1, 1)
    logits = net(t, r, heat)
    assert logits.shape == (2, S, S) and logits.dtype == torch.float32
    p = net.to_heatmap(logits)
    assert net.output == "sigmoid" and ((p > 0) & (p < 1)).all()
    net.output = "softmax"
    try:
        torch.testing.assert_close(net.to_heatmap(logits).sum((1, 2)), torch.ones(2))
    finally:
        net.output = "sigmoid"
    logits.sum().backward()
    assert all(p.grad is not None for p in net.learner.parameters())


def test_wrong_input_size_is_refused(net) -> None:
    with pytest.raises(SamicError, match="trained at 64x64"):
        net.extract(torch.rand(1, 3, 96, 96))
    with pytest.raises(SamicError, match="multiple of 32"):
        build_samic("resnet50", weights="none", image_size=100)


def test_correlation_is_clamped_cosine() -> None:
    q = torch.tensor([[1.0, 0.0], [0.0, 1.0]]).T.reshape(1, 2, 1, 2)  # positions (1,0), (0,1)
    s = torch.tensor([[1.0, 1.0], [-1.0, 0.0]]).T.reshape(1, 2, 1, 2)
    corr = cosine_correlation(q, s)
    assert corr.shape == (1, 1, 2, 1, 2)
    expected = torch.tensor([[2**-0.5, 0.0], [2**-0.5, 0.0]])  # cos(-x, y) = 0, cos(-x, x) < 0
    torch.testing.assert_close(corr[0, 0, :, 0], expected, atol=1e-4, rtol=0)


def test_pyramid_groups_deepest_first(net) -> None:
    feats = net.extract(torch.rand(1, 3, S, S))
    heat = torch.ones(1, S, S)
    pyr = hypercorrelation(feats, feats, heat, net.backbone.stage_sizes)
    assert [tuple(p.shape) for p in pyr] == [(1, 3, 2, 2, 2, 2), (1, 6, 4, 4, 4, 4),
                                             (1, 4, 8, 8, 8, 8)]  # fmt: skip


def test_max_resize_keeps_narrow_peaks_that_bilinear_loses() -> None:
    """Spec 2.6: a sigma=0.02 peak at 224 shrunk to 7x7; max pooling keeps it near 1."""
    worst_max, worst_bilinear = 1.0, 1.0
    for x in range(3, 221, 9):
        heat = torch.from_numpy(points_to_heatmap([(x, 110.0)], (224, 224)))[None]
        worst_max = min(worst_max, resize_heatmap(heat, (7, 7), "max").max().item())
        worst_bilinear = min(worst_bilinear, resize_heatmap(heat, (7, 7), "bilinear").max().item())
    assert worst_max > 0.99
    assert worst_bilinear < 0.01


def test_backbone_identity_and_weight_files(tmp_path) -> None:
    feats, ident = load_backbone("resnet50", "none")
    _, again = load_backbone("resnet50", "none")
    assert ident == again and ident.weights == "none"  # "none" is a seeded, repeatable init
    path = tmp_path / "r50.pth"
    torch.save({k.replace("stem.0", "conv1").replace("stem.1", "bn1"): v
                for k, v in feats.state_dict().items()}, path)  # fmt: skip
    _, from_file = load_backbone("resnet50", path)
    assert from_file.sha256 == ident.sha256 and from_file.weights == str(path.resolve())
    with pytest.raises(SamicError, match="not the one the model was trained with"):
        load_backbone("resnet50", "none", expected_sha256="0" * 64)
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"not torch")
    with pytest.raises(SamicError, match="bad.pth"):
        load_backbone("resnet50", bad)


def test_imagenet_download_failure_says_what_to_do(monkeypatch) -> None:
    import torchvision

    def offline(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(torchvision.models, "resnet50", offline)
    with pytest.raises(SamicError, match="--backbone-weights PATH"):
        load_backbone("resnet50", "imagenet")


def test_one_architecture_value_builds_the_network_and_comes_back_from_its_file(tmp_path) -> None:
    """The trainer builds from TrainConfig.architecture, the file records it, and loading
    rebuilds the same network from ModelMeta.architecture (depth and gate included)."""
    from samic_core.architecture import Architecture
    from samic_core.modelfile.file import load_model_file
    from samic_core.modelfile.meta import read_model_meta
    from samic_core.testing.samic_task import write_synthetic_folder
    from samic_core.train.trainer import TrainConfig, train

    arch = Architecture(image_size=64, squeeze_depth=2, presence=True)
    net, _ = build_samic(arch, weights="none")
    assert net.image_size == 64 and net.learner.gate_parameters()
    folder = tmp_path / "f"
    write_synthetic_folder(folder, 4, size=64, seed=1)
    cfg = TrainConfig(
        folder, tmp_path / "m.samic", epochs=1, image_size=64, device="cpu",
        backbone_weights="none", squeeze_depth=2, schedule="paper", presence=True,
    )  # fmt: skip
    assert cfg.architecture == arch
    train(cfg)
    assert read_model_meta(tmp_path / "m.samic").architecture == arch
    loaded, meta = load_model_file(tmp_path / "m.samic", "cpu")
    assert meta.architecture == arch
    assert sum(p.numel() for p in loaded.learner.parameters()) == sum(
        p.numel() for p in net.learner.parameters()
    )
