"""SAMIC: a trained in-context heat-map predictor whose peaks are the prompt points."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from samic_core.annotation.mask_points import mask_object_radius
from samic_core.errors import SamicError
from samic_core.eval.methods.base import Prediction, PromptMethod, Query, Reference
from samic_core.peaks import PeakRule
from samic_core.precision import DEFAULT_PRECISION

__all__ = ["SamicMethod", "mask_object_radius"]


class SamicMethod(PromptMethod):
    """Peaks of SAMIC's predicted heat map (K shots averaged by the predictor) as positives.

    rule: how peaks are found (default: the model's own, `SamicPredictor.default_rule`: `nms`
    for models trained with the BCE term, the paper's rule otherwise). A bare `threshold` keeps
    that rule with another relative threshold. backbone_weights: where the frozen backbone
    comes from (None: the source the model file records; see SamicPredictor.from_file).
    """

    name = "samic"

    def __init__(
        self,
        model_path: str | Path,
        device: str = "auto",
        threshold: float | None = None,
        rule: PeakRule | None = None,
        precision: str = DEFAULT_PRECISION,
        backbone_weights: str | Path | None = None,
    ):
        try:
            from samic_core.predict.predictor import SamicPredictor
        except ImportError as e:  # the predictor package is optional at import time
            raise SamicError(f"the SAMIC predictor is not available ({e})") from e
        self.model_path = Path(model_path)
        if not self.model_path.is_file():
            raise SamicError(f"{self.model_path}: SAMIC model file does not exist")
        self.predictor = SamicPredictor.from_file(
            self.model_path, device, backbone_weights=backbone_weights, precision=precision
        )
        rule = rule or self.predictor.default_rule
        self.rule = rule if threshold is None else replace(rule, threshold=threshold)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "model": str(self.model_path), "peaks": self.rule.describe()}

    def set_references(self, references: list[Reference]) -> None:
        radii = [r for r in (mask_object_radius(ref.mask) for ref in references) if r is not None]
        self.predictor.set_references(
            [r.image for r in references],
            [np.asarray(r.points).reshape(-1, 2) for r in references],
            float(np.median(radii)) if radii else None,  # as samic predict: the nms radius
        )

    def predict(self, query: Query) -> Prediction:
        peaks = self.predictor.peaks(query.image, self.rule)
        pred = Prediction.positives(np.array([[p.x, p.y] for p in peaks]).reshape(-1, 2))
        pred.extras["scores"] = [float(p.score) for p in peaks]
        return pred
