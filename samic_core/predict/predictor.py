"""SamicPredictor: set K reference images with their points once, then predict heat maps and
point prompts for any number of target images (paper sections 3.3 and 3.4).

Numpy API (`set_references`, `heatmap`, `peaks`) over a torch API (`heatmaps_torch`); state is
private and reset by `reset_references`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from samic_core.errors import SamicError
from samic_core.heatmap import Peak
from samic_core.model.samic_net import SamicNet
from samic_core.model.transforms import image_to_tensor, points_heatmap
from samic_core.modelfile.file import ModelMeta, load_model_file
from samic_core.peaks import PeakRule, find_peaks
from samic_core.precision import DEFAULT_PRECISION, autocast, resolve_precision


def _max_normalise(x: torch.Tensor) -> torch.Tensor:
    """(..., H, W) -> divided by each map's max (zeros stay zeros)."""
    peak = x.flatten(-2).amax(-1)[..., None, None]
    return x / peak.clamp(min=torch.finfo(x.dtype).tiny)


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
    def num_references(self) -> int:
        return 0 if self._ref_heat is None else int(self._ref_heat.shape[0])

    def reset_references(self) -> None:
        self._ref_feats: list[torch.Tensor] | None = None
        self._ref_heat: torch.Tensor | None = None
        self.object_radius: float | None = None

    @torch.no_grad()
    def set_references(
        self,
        images: Sequence[np.ndarray],
        points: Sequence[np.ndarray],
        object_radius: float | None = None,
    ) -> None:
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
        self._ref_feats = [torch.cat(layer, 0) for layer in zip(*feats, strict=True)]
        self._ref_heat = torch.stack(heats).to(self.device)  # (K, S, S)
        self.object_radius = object_radius

    @torch.no_grad()
    def raw_heatmaps_torch(self, target: torch.Tensor) -> torch.Tensor:
        """Target (1, 3, S, S) in [0, 1] -> the network's per-reference output maps (K, S, S)."""
        if self._ref_feats is None or self._ref_heat is None:
            raise RuntimeError("references must be set with .set_references(...) first")
        k = self.num_references
        with autocast(self.device, self.precision):
            target_feats = [f.expand(k, *f.shape[1:]) for f in self.net.extract(target)]
            logits = self.net.forward_features(target_feats, self._ref_feats, self._ref_heat)
        return self.net.to_heatmap(logits.float())

    @torch.no_grad()
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
        """`nms` for calibrated models; the paper's rule (relative to each map's max) otherwise."""
        return PeakRule() if self.calibrated else PeakRule.paper()

    def rule_for(self, rule: PeakRule | None = None) -> PeakRule:
        """`rule` (default: `default_rule`) with its radius filled from the references' object
        size when it has none."""
        return (rule or self.default_rule).with_object_radius(self.object_radius)

    def peaks(self, image: np.ndarray, rule: PeakRule | None = None) -> list[Peak]:
        """Point prompts for SAM in ORIGINAL image pixels, highest score first."""
        rule = self.rule_for(rule)
        heat = self.heatmap(image) if rule.method == "paper" else self.raw_heatmap(image)
        return find_peaks(heat, image.shape[:2], rule)
