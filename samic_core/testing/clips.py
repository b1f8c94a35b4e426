"""Generated clips for the video tests: discs moving across a noisy background, one passing in
front of the other, written as a folder of JPEG frames (or an mp4) with their true masks."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

COLOURS = ((230, 120, 40), (60, 170, 230), (200, 60, 160))


def clip_masks(n: int, h: int = 96, w: int = 128, objects: int = 2) -> list[dict[int, np.ndarray]]:
    """Per frame, {object id (1..): (h, w) bool}: object k moves right (k odd) or left, and the
    later object is drawn in front where they cross."""
    yy, xx = np.mgrid[:h, :w]
    frames = []
    for t in range(n):
        occupied = np.zeros((h, w), bool)
        masks: dict[int, np.ndarray] = {}
        for k in range(objects, 0, -1):  # front first: earlier ids are behind
            step = 6 if k % 2 else -5
            cx = (w // 4 if k % 2 else 3 * w // 4) + step * t
            cy = h // 2 + (k - 1) * 6
            disc = (yy - cy) ** 2 + (xx - cx) ** 2 < (h // 7) ** 2
            masks[k] = disc & ~occupied
            occupied |= disc
        frames.append(masks)
    return frames


def write_clip(
    folder: Path, n: int = 6, h: int = 96, w: int = 128, objects: int = 2,
    seed: int = 0, video: bool = False,
) -> tuple[Path, list[dict[int, np.ndarray]]]:  # fmt: skip
    """Write the frames as `folder/00000.jpg ...` (or `folder.mp4` when `video`); returns the
    clip's path and its true masks per frame."""
    rng = np.random.default_rng(seed)
    truth = clip_masks(n, h, w, objects)
    images = []
    for masks in truth:
        img = rng.integers(30, 80, (h, w, 3)).astype(np.uint8)
        for k, m in masks.items():
            img[m] = COLOURS[(k - 1) % len(COLOURS)]
        images.append(img)
    if video:
        path = folder.with_suffix(".mp4")
        path.parent.mkdir(parents=True, exist_ok=True)
        out = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), 10, (w, h))
        for img in images:
            out.write(img[..., ::-1].copy())
        out.release()
        return path, truth
    folder.mkdir(parents=True, exist_ok=True)
    for t, img in enumerate(images):
        cv2.imwrite(str(folder / f"{t:05d}.jpg"), img[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 95])
    return folder, truth
