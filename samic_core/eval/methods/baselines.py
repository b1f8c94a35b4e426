"""Trivial baselines: copy the reference clicks to the same relative place, or click the centre."""

from __future__ import annotations

import numpy as np

from samic_core.eval.methods.base import Prediction, PromptMethod, Query, Reference


def rescale_points(
    points: np.ndarray, src_size: tuple[int, int], dst_size: tuple[int, int]
) -> np.ndarray:
    """(N, 2) xy points moved from an (H, W) image to the same relative place in another."""
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    (sh, sw), (dh, dw) = src_size, dst_size
    return np.stack([(pts[:, 0] + 0.5) * dw / sw - 0.5, (pts[:, 1] + 0.5) * dh / sh - 0.5], 1)


class CopyMethod(PromptMethod):
    """Every reference's clicks, at the same relative positions in the query (all K shots)."""

    name = "copy"

    def __init__(self) -> None:
        self._refs: list[tuple[np.ndarray, tuple[int, int]]] = []

    def set_references(self, references: list[Reference]) -> None:
        self._refs = [(r.points, r.image.shape[:2]) for r in references]

    def predict(self, query: Query) -> Prediction:
        size = query.image.shape[:2]
        moved = [rescale_points(p, s, size) for p, s in self._refs]
        return Prediction.positives(np.concatenate(moved, 0) if moved else np.zeros((0, 2)))


class CenterMethod(PromptMethod):
    """One positive click at the centre of the query image."""

    name = "center"

    def set_references(self, references: list[Reference]) -> None:
        pass

    def predict(self, query: Query) -> Prediction:
        h, w = query.image.shape[:2]
        return Prediction.positives(np.array([[(w - 1) / 2.0, (h - 1) / 2.0]]))
