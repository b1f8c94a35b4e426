"""SamicPredictor: set K reference images with their points once, then predict heat maps and
point prompts for any number of target images (paper sections 3.3 and 3.4).

Numpy API (`set_references`, `heatmap`, `peaks`) over a torch API (`heatmaps_torch`); state is
private and reset by `reset_references`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from samic_core.errors import SamicError
from samic_core.heatmap import Peak
from samic_core.model.samic_net import SamicNet
from samic_core.model.transforms import image_to_tensor, points_heatmap
from samic_core.modelfile.file import ModelMeta, load_model_file
from samic_core.peaks import HeatMap, PeakRule, find_peaks, peak_method
from samic_core.precision import DEFAULT_PRECISION, autocast, resolve_precision

MAX_PAIRS = 64  # (target, reference) pairs per learner pass: bounds its memory on a small GPU


def _max_normalise(x: torch.Tensor) -> torch.Tensor:
    """(..., H, W) -> divided by each map's max (zeros stay zeros)."""
    peak = x.flatten(-2).amax(-1)[..., None, None]
    return x / peak.clamp(min=torch.finfo(x.dtype).tiny)


# One target's per-reference output maps (K, S, S) -> the K-shot map a peak rule reads
# (samic_core.peaks.HeatMap): the network's own outputs averaged, so an absolute floor can say
# "nothing here"; or the mean of the max-normalised maps, max-normalised (paper 3.4).
HEAT_MAPS: dict[HeatMap, Callable[[torch.Tensor], torch.Tensor]] = {
    "raw": lambda maps: maps.mean(0),
    "normalised": lambda maps: _max_normalise(_max_normalise(maps).mean(0)),
}


def maps_to_peaks(maps: torch.Tensor, image_size: tuple[int, int], rule: PeakRule) -> list[Peak]:
    """Peaks of one target's per-reference output maps (K, S, S) under `rule`, in the pixels of
    an image of `image_size` (H, W): the map the rule's method reads, then its function."""
    heat = HEAT_MAPS[peak_method(rule.method).heat](maps)
    return find_peaks(heat.float().cpu().numpy(), image_size, rule)


@dataclass(frozen=True)
class ReferenceSet:
    """One class's K references as the network reads them (made by `encode_references`).

    feats: the backbone's features per bottleneck, each (K, C, h, w); heat: their prompt heat
    maps (K, S, S); object_radius: the objects' typical radius as a fraction of the image side
    (sets the `nms` rule's suppression radius), or None.
    """

    feats: list[torch.Tensor]
    heat: torch.Tensor
    object_radius: float | None = None

    @property
    def k(self) -> int:
        return int(self.heat.shape[0])


class SamicPredictor:
    """K-shot heat maps: one forward per reference, the K maps averaged.

    The `nms` peak rule reads the mean of the network's own outputs (so its absolute floor can
    say "nothing here"); the paper rule the mean of the K max-normalised maps (paper 3.4).

    Arguments:
      net: a trained SamicNet (put in eval mode here).
      meta: the model file's metadata, when loaded from one.
      precision: "auto" | "fp32" | "bf16" | "fp16" (samic_core/precision.py); maps are float32.
    """

    def __init__(
        self, net: SamicNet, meta: ModelMeta | None = None, precision: str = DEFAULT_PRECISION
    ) -> None:
        self.net = net.eval()
        self.meta = meta
        self.precision = resolve_precision(precision, self.net.device)
        self.reset_references()

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        device: str | torch.device = "auto",
        image_size: int | None = None,
        backbone_weights: str | Path | None = None,
        precision: str = DEFAULT_PRECISION,
    ) -> SamicPredictor:
        """Load a model file; `image_size`, if given, must be the size the model was trained at."""
        net, meta = load_model_file(path, device, backbone_weights)
        if image_size is not None and image_size != meta.image_size:
            raise SamicError(
                f"{path}: this model was trained at {meta.image_size}x{meta.image_size} and "
                f"cannot predict at {image_size}x{image_size}; use --image-size "
                f"{meta.image_size} or train a new model with --image-size {image_size}"
            )
        return cls(net, meta, precision)

    @property
    def image_size(self) -> int:
        return self.net.image_size

    @property
    def device(self) -> torch.device:
        return self.net.device

    @property
    def tile(self) -> int | None:
        """The tile side the model was trained on (`ModelMeta.tile`); None: whole images."""
        return None if self.meta is None else self.meta.tile

    @property
    def num_references(self) -> int:
        return 0 if self._refs is None else self._refs.k

    @property
    def object_radius(self) -> float | None:
        return None if self._refs is None else self._refs.object_radius

    @property
    def references(self) -> ReferenceSet:
        """The references set last (for `class_heatmaps_torch` with several classes)."""
        if self._refs is None:
            raise RuntimeError("references must be set with .set_references(...) first")
        return self._refs

    def reset_references(self) -> None:
        self._refs: ReferenceSet | None = None

    def set_references(
        self,
        images: Sequence[np.ndarray],
        points: Sequence[np.ndarray],
        object_radius: float | None = None,
    ) -> None:
        """Use these K references (see `encode_references`) for `heatmap` and `peaks`."""
        self._refs = self.encode_references(images, points, object_radius)

    def use(self, refs: ReferenceSet) -> None:
        """Use references encoded earlier (one class of several, e.g.)."""
        self._refs = refs

    @torch.no_grad()
    def encode_references(
        self,
        images: Sequence[np.ndarray],
        points: Sequence[np.ndarray],
        object_radius: float | None = None,
    ) -> ReferenceSet:
        """K RGB uint8 (H, W, 3) images and their (N, 2) xy positive points in original pixels.

        object_radius: the reference objects' typical radius as a fraction of the image side,
        when known; it sets the `nms` rule's suppression radius.
        """
        if len(images) == 0 or len(images) != len(points):
            raise SamicError(
                f"need one point set per reference image, got {len(images)} images and "
                f"{len(points)} point sets"
            )
        s = self.image_size
        feats, heats = [], []
        for i, (image, pts) in enumerate(zip(images, points, strict=True)):
            pts = np.asarray(pts, np.float64).reshape(-1, 2)
            if len(pts) == 0:
                raise SamicError(f"reference {i} has no positive points")
            x = image_to_tensor(image, s)[None].to(self.device)
            with autocast(self.device, self.precision):
                feats.append(self.net.extract(x))  # one image at a time, as in training
            heats.append(points_heatmap(pts, image.shape[:2], s))
        return ReferenceSet(
            [torch.cat(layer, 0) for layer in zip(*feats, strict=True)],
            torch.stack(heats).to(self.device),  # (K, S, S)
            object_radius,
        )

    @torch.no_grad()
    def class_heatmaps_torch(
        self, targets: torch.Tensor, sets: Sequence[ReferenceSet]
    ) -> list[torch.Tensor]:
        """Targets (B, 3, S, S) in [0, 1] -> per set, the network's output maps (B, K_set, S, S).

        One backbone pass for all targets and one learner pass for every (target, reference)
        pair of every class: how auto-annotation runs SAMIC once per image for all classes.
        """
        if not sets:
            return []
        b, ks = int(targets.shape[0]), [r.k for r in sets]
        pairs = sum(ks)
        per_pass = max(1, MAX_PAIRS // pairs)  # memory grows with targets x references
        if b > per_pass:
            parts = [self.class_heatmaps_torch(targets[i : i + per_pass], sets)
                     for i in range(0, b, per_pass)]  # fmt: skip
            return [torch.cat([part[c] for part in parts]) for c in range(len(sets))]
        ref_feats = [torch.cat([r.feats[i] for r in sets]) for i in range(len(sets[0].feats))]
        ref_heat = torch.cat([r.heat for r in sets])  # (sum K, S, S)
        with autocast(self.device, self.precision):
            target_feats = [f.repeat_interleave(pairs, 0) for f in self.net.extract(targets)]
            if b > 1:  # (B * sum K, ...): every target against every reference
                ref_feats = [f.repeat(b, *([1] * (f.ndim - 1))) for f in ref_feats]
                ref_heat = ref_heat.repeat(b, 1, 1)
            logits = self.net.forward_features(target_feats, ref_feats, ref_heat)
        maps = self.net.to_heatmap(logits.float())
        s = self.image_size
        return list(maps.reshape(b, pairs, s, s).split(ks, dim=1))

    def raw_heatmaps_torch(self, target: torch.Tensor) -> torch.Tensor:
        """Target (1, 3, S, S) in [0, 1] -> the network's per-reference output maps (K, S, S)."""
        return self.class_heatmaps_torch(target, [self.references])[0][0]

    def heatmaps_torch(self, target: torch.Tensor) -> torch.Tensor:
        """Target (1, 3, S, S) in [0, 1] -> per-reference max-normalised maps (K, S, S)."""
        return _max_normalise(self.raw_heatmaps_torch(target))

    def _target(self, image: np.ndarray) -> torch.Tensor:
        return image_to_tensor(image, self.image_size)[None].to(self.device)

    def reference_heatmaps(self, image: np.ndarray) -> np.ndarray:
        """(K, S, S) float32: the heat map each reference alone predicts, each with max 1."""
        return self.heatmaps_torch(self._target(image)).float().cpu().numpy()

    def heatmap(self, image: np.ndarray) -> np.ndarray:
        """(S, S) float32 in [0, 1], max 1: the mean of the K per-reference maps, max-normalised."""
        per_ref = torch.from_numpy(self.reference_heatmaps(image))
        return _max_normalise(per_ref.mean(0)).numpy()

    def raw_heatmap(self, image: np.ndarray) -> np.ndarray:
        """(S, S) float32: the mean of the K per-reference outputs, not normalised."""
        return self.raw_heatmaps_torch(self._target(image)).mean(0).float().cpu().numpy()

    @property
    def calibrated(self) -> bool:
        """Whether the model was trained with the BCE term, which gives its output an absolute
        meaning (0 = no object here); only then can the `nms` rule's floor say "nothing"."""
        return self.meta is not None and "bce" in self.meta.loss_terms

    @property
    def default_rule(self) -> PeakRule:
        """`nms` for calibrated models, with the threshold and floor fitted on the model's own
        validation images when its file has them (train/peak_fit.py); the paper's rule
        (relative to each map's max) otherwise."""
        if not self.calibrated:
            return PeakRule.paper()
        fitted = self.meta.peak_rule if self.meta is not None else None
        if fitted:
            return PeakRule(threshold=fitted["threshold"], floor=fitted["floor"])
        return PeakRule()

    def rule_for(self, rule: PeakRule | None = None) -> PeakRule:
        """`rule` (default: `default_rule`) with its radius filled from the references' object
        size when it has none."""
        return (rule or self.default_rule).with_object_radius(self.object_radius)

    def peaks(self, image: np.ndarray, rule: PeakRule | None = None) -> list[Peak]:
        """Point prompts for SAM in ORIGINAL image pixels, highest score first."""
        return self.peaks_from_maps(self.target_maps(image), image, self.rule_for(rule))

    def target_maps(self, image: np.ndarray) -> torch.Tensor:
        """(K, S, S): the network's output map for `image` against each reference, what
        `peaks_from_maps` reads (compute once, then try several rules)."""
        return self.raw_heatmaps_torch(self._target(image))

    def peaks_from_maps(
        self, maps: torch.Tensor, image: np.ndarray | tuple[int, int], rule: PeakRule
    ) -> list[Peak]:
        """Peaks of one target's per-reference output maps (K, S, S) under `rule` (radius
        already filled), in the pixels of `image` (or its (H, W))."""
        hw = image.shape[:2] if isinstance(image, np.ndarray) else image
        return maps_to_peaks(maps, (int(hw[0]), int(hw[1])), rule)
