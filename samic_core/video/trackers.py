"""The two ways a clip's objects are carried from frame to frame, behind one `track` call.

- SAM 2.1 (`Sam2ClipTracker`): its video predictor and memory (samic_core/sam/sam2_video.py).
- SAM 1, which has no memory (`SamicClipTracker`): SAMIC with the previous frame as the
  reference, the paper's DAVIS protocol (section 4.1): for each track, the previous frame and
  the track's mask there (clicked at the mask's deepest point) are the reference; SAMIC's peaks
  on the next frame, each decoded by SAM and unioned, are the track's mask there. A prompted
  frame resets each track to the annotator's mask.
`build_tracker` picks one from the SAM checkpoint's engine, as every other command does.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np

from samic_core.annotation.mask_points import deepest_point, mask_object_radius
from samic_core.config import EngineConfig
from samic_core.errors import SamicError
from samic_core.sam.build import build_engine, checkpoint_family
from samic_core.sam.click_engine import ClickEngine
from samic_core.sam.registry import family_of
from samic_core.sam.weights import resolve_checkpoint
from samic_core.video.clip import Clip

Step = tuple[int, bool, dict[int, np.ndarray]]  # (frame, reverse, {track id: mask})


class Sam2ClipTracker:
    """SAM 2.1's video predictor over a clip's frames (read one at a time)."""

    def __init__(self, checkpoint: Path, model_type: str = "auto", device: str = "auto"):
        from samic_core.sam.sam2_video import Sam2VideoTracker

        self.inner = Sam2VideoTracker(checkpoint, model_type, device)
        self.model_id = self.run_id = self.inner.model_id

    def track(self, clip: Clip, prompts: Mapping[int, Mapping[int, np.ndarray]],
              passes: Sequence[tuple[bool, int]]) -> Iterator[Step]:  # fmt: skip
        return self.inner.track(clip.read, len(clip), clip.hw, prompts, passes)


class SamicClipTracker:
    """SAMIC frame to frame (previous frame as reference), masks by a SAM 1 (or any) engine.

    Each peak is decoded as its own object and the track keeps the one that overlaps its mask
    on the reference frame most (else the nearest): a look-alike elsewhere is not merged in. A
    track lost on a frame (no peak) keeps its last mask and frame as the reference, so it is
    found again after an occlusion."""

    def __init__(self, engine: ClickEngine, model: Path, device: str = "auto") -> None:
        from samic_core.predict.predictor import SamicPredictor
        from samic_core.sam.checkpoint_id import checkpoint_id

        if not model.is_file():
            raise SamicError(f"{model}: SAMIC model file does not exist")
        self.engine = engine
        self.predictor = SamicPredictor.from_file(model, device)
        self.rule = self.predictor.default_rule
        self.model_id = engine.model_id  # what the frames' `sam_model` names
        self.run_id = f"{engine.model_id}+samic-{checkpoint_id(model)}"  # and SAMIC's model

    def _next_mask(self, ref_image: np.ndarray, ref_mask: np.ndarray, image: np.ndarray,
                   path: Path) -> np.ndarray:  # fmt: skip
        """The track's mask on `image` from its mask on the reference frame (empty: lost)."""
        empty = np.zeros(image.shape[:2], bool)
        click = deepest_point(ref_mask)
        if click is None:
            return empty
        self.predictor.set_references([ref_image], [np.array([click], np.float64)],
                                      mask_object_radius(ref_mask))  # fmt: skip
        peaks = self.predictor.peaks(image, self.rule)
        if not peaks:
            return empty
        emb, _ = self.engine.embed_file(path, image=image)
        points = np.array([[p.x, p.y] for p in peaks], np.float64)
        chosen = choose_mask([r.mask for r in self.engine.decode_points(emb, points)], ref_mask)
        return empty if chosen is None else chosen

    def track(self, clip: Clip, prompts: Mapping[int, Mapping[int, np.ndarray]],
              passes: Sequence[tuple[bool, int]]) -> Iterator[Step]:  # fmt: skip
        for reverse, start in passes:
            step = -1 if reverse else 1
            image = clip.read(start)
            # track id -> (reference frame, its mask there): the last frame the track was seen
            refs = {k: (image, m) for k, m in prompts.get(start, {}).items()}
            yield start, reverse, {k: m for k, (_, m) in refs.items()}
            t = start + step
            while 0 <= t < len(clip):
                image = clip.read(t)
                given = prompts.get(t, {})
                out = {}
                for k, (ref_image, ref_mask) in refs.items():
                    out[k] = (
                        given[k]
                        if k in given
                        else self._next_mask(ref_image, ref_mask, image, clip.frames[t])
                    )
                for k, m in given.items():  # the annotator's masks reset the tracks they name
                    out[k] = m
                for k, m in out.items():
                    if m.any():
                        refs[k] = (image, m)
                yield t, reverse, out
                t += step


def choose_mask(masks: Sequence[np.ndarray], ref_mask: np.ndarray) -> np.ndarray | None:
    """Of the peaks' masks, the one overlapping the track's last mask most, else the one whose
    centre is nearest to its centre; None when every mask is empty."""
    masks = [m for m in masks if m.any()]
    if not masks:
        return None
    if ref_mask.shape != masks[0].shape or not ref_mask.any():
        return masks[0]
    overlap = [float((m & ref_mask).sum()) for m in masks]
    if max(overlap) > 0:
        return masks[int(np.argmax(overlap))]
    centre = np.argwhere(ref_mask).mean(0)
    dist = [float(np.linalg.norm(np.argwhere(m).mean(0) - centre)) for m in masks]
    return masks[int(np.argmin(dist))]


def build_tracker(
    config: EngineConfig, samic_model: Path | None = None
) -> Sam2ClipTracker | SamicClipTracker:
    """SAM 2.1's video tracker for a SAM 2.1 checkpoint; for SAM 1, SAMIC frame to frame (which
    needs `samic_model`)."""
    checkpoint = resolve_checkpoint(config.checkpoint, config.model_type)
    family = family_of(config.model_type) or checkpoint_family(checkpoint)
    if family == "sam2":
        return Sam2ClipTracker(checkpoint, config.model_type, config.device)
    if samic_model is None:
        raise SamicError(
            "SAM 1 has no video memory: tracking with it runs SAMIC frame to frame, so it needs "
            "--model (a SAMIC model trained on this kind of object); or use a SAM 2.1 "
            "checkpoint (--model-type sam2.1_hiera_t)"
        )
    return SamicClipTracker(build_engine(config), samic_model, config.device)
