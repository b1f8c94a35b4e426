"""A clip: its frames in order, read one at a time.

A clip is a folder of frame images (named so that they sort in time order, as DAVIS's
`00000.jpg ...` and sam2's JPEG folders are), annotated in the folder format like any image
folder: frame `00012.jpg`'s objects are in `annotations/00012.jpg.json`, and an object's id is
its track id on every frame. A video file (mp4, avi, mov, mkv, through OpenCV) becomes such a
folder once: `extract_frames` decodes it one frame at a time into `<video>.frames/` beside it
(JPEG, quality 95), never holding more than one frame; a second call finds the frames there.
docs/format.md ("Clips") has the layout.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from samic_core.annotation.layout import EXTRACTED_FILE, FRAMES_SUFFIX, is_clip_folder
from samic_core.errors import SamicError
from samic_core.fileio import atomic_write_bytes, atomic_write_json, list_images, read_image_rgb
from samic_core.jobs import Progress, ShouldStop

VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mkv", ".m4v", ".webm")
DONE_FILE = EXTRACTED_FILE  # written last: a folder without it was interrupted
STARTED_FILE = ".extracting.json"  # written first: which video an unfinished folder is from
__all__ = ["FRAMES_SUFFIX", "Clip", "extract_frames", "is_clip_folder", "open_clip"]


@dataclass(frozen=True)
class Clip:
    """The frames of a clip, in time order. frames[i] is frame i's image file."""

    folder: Path
    frames: Sequence[Path]

    def __len__(self) -> int:
        return len(self.frames)

    def read(self, i: int) -> np.ndarray:
        """Frame i as RGB uint8 (H, W, 3), read from its file now."""
        return read_image_rgb(self.frames[i])

    @property
    def hw(self) -> tuple[int, int]:
        """(H, W) of the first frame (every frame of a clip has it; `open_clip` checks)."""
        h, w = self.read(0).shape[:2]
        return h, w

    def index(self, name: str) -> int:
        """The frame number of the frame file called `name`."""
        for i, p in enumerate(self.frames):
            if p.name == name:
                return i
        raise SamicError(f"{self.folder}: no frame {name}")


def is_video(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in VIDEO_EXTENSIONS


def frames_folder(video: Path) -> Path:
    """Where the frames of a video file go: `<video>.frames/` beside it."""
    return video.with_name(video.name + FRAMES_SUFFIX)


def open_clip(
    path: str | Path, progress: Progress | None = None, should_stop: ShouldStop | None = None
) -> Clip:
    """The clip at `path`: a folder of frames, or a video file (its frames extracted first)."""
    path = Path(path)
    if is_video(path):
        path = extract_frames(path, progress, should_stop)
    if not path.is_dir():
        raise SamicError(f"{path}: not a folder of frames or a video file "
                         f"({', '.join(VIDEO_EXTENSIONS)})")  # fmt: skip
    frames = list_images(path)
    if not frames:
        raise SamicError(f"{path}: no frames (image files) in this folder")
    _check_sizes(frames)
    return Clip(path, frames)


def _check_sizes(frames: Sequence[Path]) -> None:
    """SamicError naming the first frame whose size differs from the first frame's (a clip's
    masks are all of one size). Reads only the files' headers."""
    from PIL import Image, UnidentifiedImageError

    def size(p: Path) -> tuple[int, int] | None:
        try:
            with Image.open(p) as im:
                return im.size
        except (OSError, UnidentifiedImageError):
            return None  # read_image_rgb names the file when the frame is read

    first = size(frames[0])
    for p in frames[1:]:
        other = size(p)
        if first is not None and other is not None and other != first:
            (h1, w1), (h0, w0) = read_image_rgb(p).shape[:2], read_image_rgb(frames[0]).shape[:2]
            if (h1, w1) != (h0, w0):  # the EXIF orientation was not the difference
                raise SamicError(
                    f"{p}: a {w1}x{h1} frame in a clip of {w0}x{h0} frames "
                    f"({frames[0].name}); a clip's frames have one size"
                )


def extract_frames(
    video: Path, progress: Progress | None = None, should_stop: ShouldStop | None = None
) -> Path:
    """Decode `video` frame by frame into `<video>.frames/00000.jpg ...`; the folder.

    Done once: a folder whose extraction finished (its DONE_FILE names the video's size and
    modification time) is reused; an interrupted one (STARTED_FILE, written first, names the
    same video) is completed from where it stopped. Frames of another video, or of an earlier
    version of this one, are never mixed in: that folder (and the annotations in it) is left
    as it is, with an error saying so."""
    out = frames_folder(video)
    st = video.stat()
    stamp = {"video": video.name, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
    done, started = out / DONE_FILE, out / STARTED_FILE
    if _stamp(done) == stamp:
        return out
    if out.is_dir() and any(out.iterdir()) and _stamp(started) != stamp:
        raise SamicError(
            f"{out}: holds the frames of another version of {video.name} (or of another "
            "video); move or delete that folder to extract this one"
        )
    out.mkdir(exist_ok=True)
    atomic_write_json(started, stamp)
    cap = cv2.VideoCapture(str(video))
    if not cap.isOpened():
        raise SamicError(f"{video}: OpenCV cannot read this video")
    try:
        total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) or 0
        i = 0
        while True:
            if should_stop is not None and should_stop():
                raise SamicError(f"{video}: frame extraction cancelled after {i} frames")
            ok, bgr = cap.read()
            if not ok:
                break
            target = out / f"{i:05d}.jpg"
            if not target.is_file():
                ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 95])
                if not ok:
                    raise SamicError(f"{video}: frame {i} could not be encoded")
                atomic_write_bytes(target, data.tobytes())
            i += 1
            if progress is not None:
                progress(i, max(total, i), video.name)
    finally:
        cap.release()
    if i == 0:
        raise SamicError(f"{video}: no frame could be decoded")
    atomic_write_json(done, stamp)
    return out


def _stamp(path: Path) -> object:
    """The JSON in `path`, or None when it is missing or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
