"""The paper's peak rule (section 3.4): the map max-normalised and binarised at 0.5, one
prompt per connected component's centroid."""

from __future__ import annotations

import numpy as np

from samic_core.heatmap import THRESHOLD, Peak, heatmap_to_peaks
from samic_core.peaks.rule import PeakMethodSpec, PeakRule


def paper_peaks(heat: np.ndarray, image_size: tuple[int, int] | None, rule: PeakRule) -> list[Peak]:
    """The centroids of the regions above `rule.threshold` x the map's max, strongest first."""
    top = float(heat.max()) if heat.size else 0.0
    if top <= 0:
        return []
    return heatmap_to_peaks(heat / top, image_size, rule.threshold)[: rule.max_peaks]


PAPER = PeakMethodSpec(
    name="paper",
    help="connected components of the map binarised at 0.5 of its max (paper 3.4)",
    heat="normalised",
    find=paper_peaks,
    threshold=THRESHOLD,
    floor=0.0,
)
