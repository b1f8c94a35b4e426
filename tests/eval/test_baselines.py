"""The copy and centre baselines."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from samic_core.eval.methods import CenterMethod, CopyMethod, Query, Reference


def _ref(h, w, points):
    return Reference(
        np.zeros((h, w, 3), np.uint8),
        np.zeros((h, w), bool),
        np.array(points, float),
        Path("r.png"),
    )


def test_copy_moves_every_shots_clicks_to_the_same_relative_place():
    m = CopyMethod()
    m.set_references([_ref(100, 200, [[0, 0], [199, 99]]), _ref(50, 50, [[24.5, 24.5]])])
    pred = m.predict(Query(np.zeros((200, 400, 3), np.uint8), Path("q.png")))
    assert np.allclose(pred.points, [[0.5, 0.5], [398.5, 198.5], [199.5, 99.5]])
    assert pred.labels.tolist() == [1, 1, 1]
    assert np.allclose(pred.positive, pred.points)


def test_center_clicks_the_middle_pixel():
    m = CenterMethod()
    m.set_references([])
    pred = m.predict(Query(np.zeros((5, 8, 3), np.uint8), Path("q.png")))
    assert pred.points.tolist() == [[3.5, 2.0]]
