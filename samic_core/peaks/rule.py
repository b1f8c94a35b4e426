"""A peak rule's parameters (`PeakRule`) and the registry of the methods that apply them.

Each method is a `PeakMethodSpec`: its name, one line of help, its default threshold and floor,
which K-shot heat map it reads and its function. Everything that turns heat maps into prompts
(`find_peaks`, the predictor, the CLI's `--peaks` choices and help, the benchmarks) looks the
method up here instead of testing its name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

import numpy as np

from samic_core.errors import SamicError
from samic_core.heatmap import SIGMA, Peak

DEFAULT_METHOD = "nms"
DEFAULT_THRESHOLD = 0.3  # nms: relative to the image's strongest peak
DEFAULT_FLOOR = 0.1  # low: objects the network is less sure of still get prompts (model.md)

# Which K-shot heat map a method reads from one target's K per-reference output maps:
# "raw" the mean of the network's own outputs (not normalised, so an absolute floor can say
# "nothing here"); "normalised" the mean of the K max-normalised maps, max-normalised (paper 3.4).
HeatMap = Literal["raw", "normalised"]


@dataclass(frozen=True)
class PeakRule:
    """How a heat map becomes point prompts.

    method: a registered method's name (`peak_method_names()`): "nms" (local maxima, default)
      or "paper" (0.5 of the max, contour centroids).
    threshold: relative to the image's strongest peak (nms: 0.3; paper: its 0.5 binarisation).
    floor: absolute floor on the network's output in [0, 1]; below it nothing is prompted (nms;
      0.1, see docs/model.md).
    radius: suppression radius as a fraction of the map's side; None = from the references'
      object size when known (`with_object_radius`), else 2 sigma of the prompt heat maps.
    max_peaks: at most this many prompts per image (per tile where a big image is looked at
      in tiles, predict/tiled.py: a big image may hold hundreds of objects).
    """

    method: str = DEFAULT_METHOD
    threshold: float = DEFAULT_THRESHOLD
    floor: float = DEFAULT_FLOOR
    radius: float | None = None
    max_peaks: int = 64

    def __post_init__(self) -> None:
        peak_method(self.method)  # refuses an unknown name, listing the registered ones
        if not (0.0 < self.threshold <= 1.0 and 0.0 <= self.floor < 1.0):
            raise SamicError(
                f"peak threshold must be in (0, 1] and floor in [0, 1), got "
                f"{self.threshold} and {self.floor}"
            )
        if self.radius is not None and not 0.0 < self.radius < 0.5:
            raise SamicError(
                f"peak radius must be in (0, 0.5) of the image side, got {self.radius}"
            )

    @classmethod
    def paper(cls) -> PeakRule:
        """The paper's rule with its defaults (0.5 of each map's max, no floor)."""
        return cls.named("paper")

    @classmethod
    def named(cls, name: str, threshold: float | None = None) -> PeakRule:
        """A registered method's rule with that method's defaults, optionally another threshold."""
        spec = peak_method(name)
        return cls(
            method=spec.name,
            threshold=spec.threshold if threshold is None else threshold,
            floor=spec.floor,
        )

    def with_object_radius(self, object_radius: float | None) -> PeakRule:
        """Fill an unset radius from the reference objects' typical radius (fraction of side)."""
        if self.radius is not None or object_radius is None or object_radius <= 0:
            return self
        return replace(self, radius=float(np.clip(0.6 * object_radius, 1.5 * SIGMA, 0.25)))

    def describe(self) -> dict[str, Any]:
        """The rule's fields, for reports and model files."""
        return asdict(self)


# (heat (h, w) float32, original image (H, W) or None = the map's, rule) -> peaks in image
# pixels, strongest first
FindPeaks = Callable[[np.ndarray, "tuple[int, int] | None", PeakRule], list[Peak]]


@dataclass(frozen=True)
class PeakMethodSpec:
    """One way of turning a heat map into prompts, as the registry holds it.

    name: what `--peaks`, the app's choice and `PeakRule.method` call it.
    help: one line for the CLI's `--peaks` help.
    heat: which K-shot heat map it reads (`HeatMap`).
    find: the function (`FindPeaks`); `find_peaks` checks the map is 2-D before calling it.
    threshold, floor: the defaults `PeakRule.named` gives it.
    """

    name: str
    help: str
    heat: HeatMap
    find: FindPeaks
    threshold: float = DEFAULT_THRESHOLD
    floor: float = DEFAULT_FLOOR


_REGISTRY: dict[str, PeakMethodSpec] = {}


def register_peak_method(spec: PeakMethodSpec) -> PeakMethodSpec:
    """Offer `spec` everywhere peak rules are chosen; a name is registered once."""
    if spec.name in _REGISTRY:
        raise ValueError(f"peak rule {spec.name!r} is already registered")
    _REGISTRY[spec.name] = spec
    return spec


def unregister_peak_method(name: str) -> None:
    """Withdraw a registered method (tests that register one of their own)."""
    _REGISTRY.pop(name, None)


def peak_methods() -> tuple[PeakMethodSpec, ...]:
    """Every registered method, in registration order (the default, nms, first)."""
    return tuple(_REGISTRY.values())


def peak_method_names() -> tuple[str, ...]:
    """The registered methods' names: the CLI's `--peaks` choices."""
    return tuple(_REGISTRY)


def peak_method(name: str) -> PeakMethodSpec:
    """The registered method called `name`; a SamicError naming the choices otherwise."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise SamicError(f"unknown peak rule {name!r}; use one of {', '.join(_REGISTRY)}") from None
