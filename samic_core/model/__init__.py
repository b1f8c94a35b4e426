"""SAMIC's in-context heat-map predictor: HSNet on a frozen ResNet (paper section 3.3)."""

from samic_core.model.build import MODEL_REGISTRY, build_learner, build_samic
from samic_core.model.samic_net import SamicNet

__all__ = ["MODEL_REGISTRY", "SamicNet", "build_learner", "build_samic"]
