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
from samic_core.sam.types import Prompt
from samic_core.sam.weights import resolve_checkpoint
from samic_core.video.clip import Clip

Step = tuple[int, bool, dict[int, np.ndarray]]  # (frame, reverse, {track id: mask})


class Sam2ClipTracker:
    """SAM 2.1's video predictor over a clip's frames (read one at a time)."""

    def __init__(self, checkpoint: Path, model_type: str = "auto", device: str = "auto"):
        from samic_core.sam.sam2_video import Sam2VideoTracker

        self.inner = Sam2VideoTracker(checkpoint, model_type, device)
        self.model_id = self.inner.model_id

    def track(self, clip: Clip, prompts: Mapping[int, Mapping[int, np.ndarray]],
              passes: Sequence[tuple[bool, int]]) -> Iterator[Step]:  # fmt: skip
        return self.inner.track(clip.read, len(clip), clip.hw, prompts, passes)


class SamicClipTracker:
    """SAMIC frame to frame (previous frame as reference), masks by a SAM 1 (or any) engine."""

    def __init__(self, engine: ClickEngine, model: Path, device: str = "auto") -> None:
        from samic_core.predict.predictor import SamicPredictor

        if not model.is_file():
            raise SamicError(f"{model}: SAMIC model file does not exist")
        self.engine = engine
        self.predictor = SamicPredictor.from_file(model, device)
        self.rule = self.predictor.default_rule
        self.model_id = engine.model_id

    def _next_mask(self, ref_image: np.ndarray, ref_mask: np.ndarray, image: np.ndarray,
                   path: Path) -> np.ndarray:  # fmt: skip
        """The track's mask on `image` from its mask on the reference frame."""
        click = deepest_point(ref_mask)
        if click is None:
            return np.zeros(image.shape[:2], bool)
        self.predictor.set_references([ref_image], [np.array([click], np.float64)],
                                      mask_object_radius(ref_mask))  # fmt: skip
        peaks = self.predictor.peaks(image, self.rule)
        if not peaks:
            return np.zeros(image.shape[:2], bool)
        points = np.array([[p.x, p.y] for p in peaks], np.float64)
        emb, _ = self.engine.embed_file(path, image=image)
        prompts = [Prompt.from_points([p]) for p in points]  # one object per peak, unioned
        return self.engine.decode_objects(emb, prompts).union

    def track(self, clip: Clip, prompts: Mapping[int, Mapping[int, np.ndarray]],
              passes: Sequence[tuple[bool, int]]) -> Iterator[Step]:  # fmt: skip
        for reverse, start in passes:
            step = -1 if reverse else 1
            current = {k: m for k, m in prompts.get(start, {}).items()}
            prev_image = clip.read(start)
            yield start, reverse, dict(current)
            t = start + step
            while 0 <= t < len(clip):
                image = clip.read(t)
                if t in prompts:  # the annotator's masks reset the tracks they name
                    nxt = {k: self._next_mask(prev_image, m, image, clip.frames[t])
                           for k, m in current.items() if k not in prompts[t]}  # fmt: skip
                    nxt.update(prompts[t])
                else:
                    nxt = {k: self._next_mask(prev_image, m, image, clip.frames[t])
                           for k, m in current.items()}  # fmt: skip
                current, prev_image = nxt, image
                yield t, reverse, dict(current)
                t += step


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
