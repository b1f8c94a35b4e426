"""Builder functions and a registry for SamicNet (the segment-anything build_sam pattern)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from samic_core.architecture import Architecture
from samic_core.errors import SamicError
from samic_core.model.backbone import BackboneIdentity, load_backbone
from samic_core.model.learner import SQUEEZE_DEPTHS, HPNLearner
from samic_core.model.samic_net import SamicNet

# Bottlenecks in (layer2, layer3, layer4) of each torchvision ResNet.
STAGE_SIZES: dict[str, tuple[int, int, int]] = {"resnet50": (4, 6, 3), "resnet101": (4, 23, 3)}


def build_learner(
    backbone: str = "resnet50",
    squeeze_depth: int = 3,
    presence: bool = False,
    appearance: bool = False,
    pixel_cue: bool = False,
) -> HPNLearner:
    """The trainable part alone (no backbone weights needed), e.g. to count parameters."""
    if backbone not in STAGE_SIZES:
        raise SamicError(f"unknown backbone {backbone!r}; use one of {', '.join(STAGE_SIZES)}")
    if squeeze_depth not in SQUEEZE_DEPTHS:
        raise SamicError(f"squeeze depth must be one of {SQUEEZE_DEPTHS}, got {squeeze_depth}")
    n2, n3, n4 = STAGE_SIZES[backbone]
    return HPNLearner(
        (n4, n3, n2),
        squeeze_depth=squeeze_depth,
        presence=presence,
        appearance=appearance,
        pixel_cue=pixel_cue,
    )


def _build_samic(
    backbone: str,
    weights: str | Path,
    image_size: int,
    output: str,
    support_resize: str,
    expected_sha256: str | None,
    squeeze_depth: int = 3,
    presence: bool = False,
    appearance: bool = False,
    pixel_cue: bool = False,
) -> tuple[SamicNet, BackboneIdentity]:
    learner = build_learner(backbone, squeeze_depth, presence, appearance, pixel_cue)
    features, identity = load_backbone(backbone, weights, expected_sha256)
    if features.stage_sizes != STAGE_SIZES[backbone]:
        raise SamicError(
            f"{backbone} has stages {features.stage_sizes}, expected {STAGE_SIZES[backbone]}"
        )
    net = SamicNet(
        features,
        learner,
        image_size=image_size,
        output=output,
        support_resize=support_resize,
    )
    return net, identity


def build_samic_resnet50(
    weights: str | Path = "imagenet",
    *,
    image_size: int = 224,
    output: str = "sigmoid",
    support_resize: str = "max",
    expected_sha256: str | None = None,
    squeeze_depth: int = 3,
    presence: bool = False,
    appearance: bool = False,
    pixel_cue: bool = False,
) -> tuple[SamicNet, BackboneIdentity]:
    """SAMIC as in the paper: frozen ResNet-50, 2,573,217 learnable parameters (+15 for the
    presence gate, `presence`, 375,184 for the appearance cue, `appearance`, and 124,432 for the
    pixel cue, `pixel_cue`, which the paper does not have: model/presence.py, appearance.py,
    pixel_cue.py)."""
    return _build_samic(
        "resnet50",
        weights,
        image_size,
        output,
        support_resize,
        expected_sha256,
        squeeze_depth,
        presence,
        appearance,
        pixel_cue,
    )


def build_samic_resnet101(
    weights: str | Path = "imagenet",
    *,
    image_size: int = 224,
    output: str = "sigmoid",
    support_resize: str = "max",
    expected_sha256: str | None = None,
    squeeze_depth: int = 3,
    presence: bool = False,
    appearance: bool = False,
    pixel_cue: bool = False,
) -> tuple[SamicNet, BackboneIdentity]:
    """SAMIC with a frozen ResNet-101 (23 layer3 bottlenecks feed the layer3 squeeze)."""
    return _build_samic(
        "resnet101",
        weights,
        image_size,
        output,
        support_resize,
        expected_sha256,
        squeeze_depth,
        presence,
        appearance,
        pixel_cue,
    )


MODEL_REGISTRY: dict[str, Callable[..., tuple[SamicNet, BackboneIdentity]]] = {
    "resnet50": build_samic_resnet50,
    "resnet101": build_samic_resnet101,
}


def build_samic(
    architecture: Architecture | str = "resnet50", **kwargs: object
) -> tuple[SamicNet, BackboneIdentity]:
    """Build the network an Architecture describes (`weights`, `expected_sha256` as keywords),
    or look a backbone name up in MODEL_REGISTRY and pass the keywords on; SamicError for an
    unknown backbone."""
    if isinstance(architecture, Architecture):
        kwargs = {**architecture.build_kwargs(), **kwargs}
        backbone = architecture.backbone
    else:
        backbone = architecture
    if backbone not in MODEL_REGISTRY:
        raise SamicError(f"unknown backbone {backbone!r}; use one of {', '.join(MODEL_REGISTRY)}")
    return MODEL_REGISTRY[backbone](**kwargs)
