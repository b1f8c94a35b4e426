"""Heat map -> point prompts: one peak per instance (`nms`), or the paper's contour rule.

Each rule is a registered method (rule.py's `PeakMethodSpec`: name, help, defaults, which
K-shot heat map it reads, function); `find_peaks`, the predictor and the CLI dispatch through
the registry. A new rule is one module in this package plus one `register_peak_method` line
below (and its name in samic_core.config's vocabulary, which the app offers).

`nms` (nms.py, the default) keeps the local maxima of the network's own output above an
absolute floor and a share of the strongest peak; `paper` (paper.py) max-normalises the map,
binarises it at 0.5 and takes one centroid per connected component (paper section 3.4).
Measurements behind the defaults: docs/model.md.
"""

from __future__ import annotations

import numpy as np

from samic_core.config import PEAK_METHODS, PeakMethod
from samic_core.heatmap import Peak
from samic_core.peaks.nms import NMS
from samic_core.peaks.paper import PAPER
from samic_core.peaks.rule import (
    HeatMap,
    PeakMethodSpec,
    PeakRule,
    peak_method,
    peak_method_names,
    peak_methods,
    register_peak_method,
    unregister_peak_method,
)

__all__ = [
    "PEAK_METHODS",
    "HeatMap",
    "PeakMethod",
    "PeakMethodSpec",
    "PeakRule",
    "find_peaks",
    "peak_method",
    "peak_method_names",
    "peak_methods",
    "register_peak_method",
    "unregister_peak_method",
]

# the shipped rules, default first (their names are samic_core.config's PEAK_METHODS)
register_peak_method(NMS)
register_peak_method(PAPER)


def find_peaks(
    heat: np.ndarray, image_size: tuple[int, int] | None = None, rule: PeakRule | None = None
) -> list[Peak]:
    """Point prompts in original-image pixels (`image_size` = (H, W)), strongest first.

    heat: (h, w) float map, the one the rule's method reads (`PeakMethodSpec.heat`): for `nms`
    the network's own output in [0, 1] (not max-normalised), so that the floor means the same
    on every image. rule: None = `PeakRule()` (nms with its defaults).
    """
    rule = PeakRule() if rule is None else rule
    heat = np.asarray(heat, np.float32)
    if heat.ndim != 2:
        raise ValueError(f"heat map must be 2-D, got shape {heat.shape}")
    return peak_method(rule.method).find(heat, image_size, rule)
