"""Frozen torchvision ResNet giving HSNet's features: the end of every layer2-4 bottleneck,
after the residual sum and before the block's ReLU (paper section 4.2).

Weights are "imagenet" (torchvision IMAGENET1K_V1, downloaded once into torch's cache), a PATH to
a state dict, or "none" (random, seeded, for tests). The identity (name, weights, sha256 of the
tensors) is recorded in every trained model so the same backbone can be rebuilt and checked.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import torch
import torchvision
from torch import nn
from torchvision.models.resnet import Bottleneck, ResNet

from samic_core.errors import CheckpointError, SamicError

log = logging.getLogger(__name__)

BACKBONES = ("resnet50", "resnet101")
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
RANDOM_INIT_SEED = 0  # "none" weights are this seed's init, so a saved model can rebuild them


@dataclass(frozen=True)
class BackboneIdentity:
    """Which backbone a model was trained with: name, weights source, sha256 of its tensors."""

    name: str
    weights: str  # "imagenet" | "none" | a file path
    sha256: str


class FrozenResNetFeatures(nn.Module):
    """Per-bottleneck features of layer2-4 of a torchvision ResNet; never trains.

    Input (B, 3, S, S) float RGB in [0, 1] (ImageNet normalisation happens here).
    Output: one (B, C, S/r, S/r) map per bottleneck, shallowest first; for ResNet-50 at S = 224:
    4 x (B, 512, 28, 28), 6 x (B, 1024, 14, 14), 3 x (B, 2048, 7, 7).
    """

    mean: torch.Tensor  # (1, 3, 1, 1) buffers, registered in __init__
    std: torch.Tensor

    def __init__(self, resnet: ResNet) -> None:
        super().__init__()
        self.stem = nn.Sequential(resnet.conv1, resnet.bn1, resnet.relu, resnet.maxpool)
        self.layer1, self.layer2 = resnet.layer1, resnet.layer2
        self.layer3, self.layer4 = resnet.layer3, resnet.layer4
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), False)
        self.requires_grad_(False)
        super().train(False)

    @property
    def stage_sizes(self) -> tuple[int, int, int]:
        """Bottlenecks per kept stage (layer2, layer3, layer4): (4, 6, 3) for ResNet-50."""
        return (len(self.layer2), len(self.layer3), len(self.layer4))

    def train(self, mode: bool = True) -> FrozenResNetFeatures:
        """Stay in eval mode whatever the parent asks: BatchNorm statistics are frozen."""
        return super().train(False)

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        x = self.stem((images - self.mean) / self.std)
        x = self.layer1(x)
        feats: list[torch.Tensor] = []
        for stage in (self.layer2, self.layer3, self.layer4):
            for block in stage:
                pre_relu = _bottleneck_pre_relu(block, x)
                feats.append(pre_relu)
                x = torch.relu(pre_relu)
        return feats


def _bottleneck_pre_relu(block: Bottleneck, x: torch.Tensor) -> torch.Tensor:
    """torchvision's Bottleneck.forward without its final ReLU."""
    out = block.relu(block.bn1(block.conv1(x)))
    out = block.relu(block.bn2(block.conv2(out)))
    out = block.bn3(block.conv3(out))
    identity = block.downsample(x) if block.downsample is not None else x
    return out + identity


def tensors_sha256(module: nn.Module) -> str:
    """sha256 over the state dict's names and tensor bytes (fc excluded; it is never used)."""
    h = hashlib.sha256()
    for name, t in module.state_dict().items():
        if name.startswith("fc."):
            continue
        h.update(name.encode())
        h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def _resnet(name: str) -> ResNet:
    if name not in BACKBONES:
        raise SamicError(f"unknown backbone {name!r}; use one of {', '.join(BACKBONES)}")
    return getattr(torchvision.models, name)(weights=None)


def _imagenet_resnet(name: str) -> ResNet:
    enum = {"resnet50": "ResNet50_Weights", "resnet101": "ResNet101_Weights"}[name]
    weights = getattr(torchvision.models, enum).IMAGENET1K_V1
    try:
        return getattr(torchvision.models, name)(weights=weights)
    except (OSError, RuntimeError, ValueError) as e:
        raise SamicError(
            f"could not get the ImageNet weights of {name} from torchvision ({e}). Download "
            f"{weights.url} yourself and pass --backbone-weights PATH, or pass "
            f"--backbone-weights none for an untrained backbone (tests only)"
        ) from e


def _file_resnet(name: str, path: Path) -> ResNet:
    if not path.is_file():
        raise CheckpointError(path, "backbone weights file does not exist")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types for a corrupt or foreign file
        raise CheckpointError(path, f"not a readable torch state dict ({e})") from e
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise CheckpointError(path, "expected a state dict of a torchvision ResNet")
    net = _resnet(name)
    result = net.load_state_dict(state, strict=False)
    missing = [k for k in result.missing_keys if not k.startswith("fc.")]
    unexpected = [k for k in result.unexpected_keys if not k.startswith("fc.")]
    if missing or unexpected:
        raise CheckpointError(
            path,
            f"does not match torchvision {name}: {len(missing)} missing keys "
            f"{missing[:3]}, {len(unexpected)} unexpected keys {unexpected[:3]}",
        )
    return net


def _random_resnet(name: str) -> ResNet:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(RANDOM_INIT_SEED)
        return _resnet(name)


def load_backbone(
    name: str = "resnet50", weights: str | Path = "imagenet", expected_sha256: str | None = None
) -> tuple[FrozenResNetFeatures, BackboneIdentity]:
    """Build the frozen feature extractor and its identity.

    weights: "imagenet", "none" (random; only when asked explicitly) or a state-dict path.
    expected_sha256: when rebuilding a saved model's backbone, the tensors must hash to this.
    """
    if name not in BACKBONES:
        raise SamicError(f"unknown backbone {name!r}; use one of {', '.join(BACKBONES)}")
    w = str(weights)
    if w == "imagenet":
        net = _imagenet_resnet(name)
    elif w == "none":
        log.warning("backbone %s has random weights (--backbone-weights none)", name)
        net = _random_resnet(name)
    else:
        net = _file_resnet(name, Path(w))
        w = str(Path(w).resolve())
    features = FrozenResNetFeatures(net)
    identity = BackboneIdentity(name=name, weights=w, sha256=tensors_sha256(features))
    if expected_sha256 is not None and identity.sha256 != expected_sha256:
        raise SamicError(
            f"backbone {name} with weights {w!r} is not the one the model was trained with "
            f"(sha256 {identity.sha256[:12]}... != {expected_sha256[:12]}...)"
        )
    return features, identity
