"""SAM 2.1's video predictor over frames read on demand, with a bounded memory.

sam2's `init_state` loads every frame of a clip (a 1024 x 1024 float tensor each, 12 MiB) before
the first step; here the state's `images` is a lazy sequence that reads, resizes and normalises
a frame when the predictor asks for it (as sam2's own JPEG loader does), so a clip of any length
costs a few frames of memory. The per-frame outputs the predictor keeps are dropped once they
are farther behind the frame being tracked than it looks back (its memory bank's
`num_maskmem` frames and its object pointers' `max_obj_ptrs_in_encoder`; prompted frames are
always kept), and on a GPU they live on the CPU (`offload_state_to_cpu`). Prompts are masks (a
prompted frame's objects as the annotator left them), added with `add_new_mask`, then
propagated forward or backward from them.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from samic_core.device import resolve_device
from samic_core.sam.checkpoint_id import checkpoint_id
from samic_core.sam.sam2_loading import load_sam2

IMG_MEAN = (0.485, 0.456, 0.406)  # sam2.utils.misc.load_video_frames
IMG_STD = (0.229, 0.224, 0.225)

FrameReader = Callable[[int], np.ndarray]  # frame index -> RGB uint8 (H, W, 3)


class LazyFrames:
    """The predictor's `images`: frame i as (3, S, S) float32 on the CPU, read when asked for
    (the last few kept; sam2 asks for each frame once per pass)."""

    def __init__(self, read: FrameReader, count: int, size: int, keep: int = 2) -> None:
        self.read, self.count, self.size, self.keep = read, count, size, keep
        self._recent: OrderedDict[int, torch.Tensor] = OrderedDict()
        self._mean = torch.tensor(IMG_MEAN)[:, None, None]
        self._std = torch.tensor(IMG_STD)[:, None, None]

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, i: int) -> torch.Tensor:
        if i in self._recent:
            return self._recent[i]
        rgb = Image.fromarray(self.read(i)).resize((self.size, self.size))  # as sam2's loader
        x = torch.from_numpy(np.array(rgb)).permute(2, 0, 1).float() / 255.0
        x = (x - self._mean) / self._std
        self._recent[i] = x
        while len(self._recent) > self.keep:
            self._recent.popitem(last=False)
        return x


class Sam2VideoTracker:
    """A SAM 2.1 video predictor loaded once; `track` runs one clip."""

    def __init__(self, checkpoint: str | Path, model_type: str = "auto", device: str = "auto"):
        import sam2.sam2_video_predictor as vp

        vp.tqdm = _quiet  # sam2 draws its own bar per pass; callers report progress instead
        self.device = resolve_device(device)
        predictor, self.model_type = load_sam2(checkpoint, model_type, video=True)
        self.predictor: Any = predictor.to(self.device)
        if not _has_sam2_extension():  # its hole filling would be skipped with a warning a frame
            self.predictor.fill_hole_area = 0
        self.model_id = f"{self.model_type}-{checkpoint_id(checkpoint)}"

    def _state(self, frames: LazyFrames, hw: tuple[int, int]) -> dict[str, Any]:
        """sam2's inference state (SAM2VideoPredictor.init_state's fields) over lazy frames."""
        offload = self.device.type == "cuda"  # bounded GPU memory: the memory bank on the CPU
        return {
            "images": frames,
            "num_frames": len(frames),
            "offload_video_to_cpu": True,
            "offload_state_to_cpu": offload,
            "video_height": hw[0],
            "video_width": hw[1],
            "device": self.device,
            "storage_device": torch.device("cpu") if offload else self.device,
            "point_inputs_per_obj": {},
            "mask_inputs_per_obj": {},
            "cached_features": {},
            "constants": {},
            "obj_id_to_idx": OrderedDict(),
            "obj_idx_to_id": OrderedDict(),
            "obj_ids": [],
            "output_dict_per_obj": {},
            "temp_output_dict_per_obj": {},
            "frames_tracked_per_obj": {},
        }

    @torch.inference_mode()
    def track(
        self,
        read: FrameReader,
        count: int,
        hw: tuple[int, int],
        prompts: Mapping[int, Mapping[int, np.ndarray]],
        passes: Sequence[tuple[bool, int]],
    ) -> Iterator[tuple[int, bool, dict[int, np.ndarray]]]:
        """Yield (frame, reverse, {object id: (H, W) bool mask}) for every tracked frame.

        prompts: {frame: {object id (the track id): mask}}, each added to the predictor's
        memory as it is. passes: (reverse, start frame) in turn, e.g. forward from the first
        prompted frame, then backward from the last. A prompted frame is yielded too, with the
        predictor's mask for it. The caller stops a run by no longer iterating."""
        frames = LazyFrames(read, count, int(self.predictor.image_size))
        state = self._state(frames, hw)
        p = self.predictor
        for t in sorted(prompts):
            for obj_id, mask in prompts[t].items():
                if mask.any():
                    p.add_new_mask(state, t, int(obj_id), torch.as_tensor(mask, dtype=torch.bool))
        if not state["obj_ids"]:
            return
        for reverse, start in passes:
            for t, ids, masks in p.propagate_in_video(
                state, start_frame_idx=start, reverse=reverse
            ):
                self._forget_behind(state, t, reverse)
                yield (
                    t,
                    reverse,
                    {int(o): (masks[i, 0] > 0).cpu().numpy() for i, o in enumerate(ids)},
                )

    def _forget_behind(self, state: dict[str, Any], t: int, reverse: bool) -> None:
        """Drop unprompted outputs farther behind frame t than the predictor looks back: its
        memory bank (`num_maskmem` frames) and its object pointers (`max_obj_ptrs_in_encoder`
        frames, 16 in SAM 2.1)."""
        p = self.predictor
        reach = max(int(p.num_maskmem), int(getattr(p, "max_obj_ptrs_in_encoder", 0))) + 1
        for out in state["output_dict_per_obj"].values():
            old = out["non_cond_frame_outputs"]
            for f in [f for f in old if (f > t + reach if reverse else f < t - reach)]:
                del old[f]


def _quiet(iterable: Any, *_args: Any, **_kwargs: Any) -> Any:
    return iterable


def _has_sam2_extension() -> bool:
    """Whether sam2 was built with its CUDA extension (`make setup` builds it without)."""
    try:
        from sam2 import _C  # noqa: F401
    except ImportError:
        return False
    return True
