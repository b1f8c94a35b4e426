"""File names inside `annotations/`: one set per image file, never shared, never colliding.

Layout 2 (schema_version 2) keys every file by the image's full file name:

    <image name>.json                          the annotation, the commit point of a save
    <image name>.<hash16>.instances.png        instance mask named by its content hash
    <image name>.<hash16>.semantic.png         semantic mask named by its content hash

`a.jpg` and `a.png` get `a.jpg.json` and `a.png.json`; no image name can produce a shared file
(`classes.json`, `class_colors.json`, `class_renames.json`, `.lock`, `models/`), because an
image name ends with an image extension and its files end with `.json` after it or with
`.<kind>.png` after a hash.

Layout 1 (schema_version 1) keyed files by the stem: `<stem>.json`, `<stem>.png`,
`<stem>_instances.png`. Those files are still read; a save writes layout 2 and removes them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from samic_core.fileio import IMAGE_EXTENSIONS
from samic_core.safepath import is_plain_name

CLASSES_FILENAME = "classes.json"
CLASS_COLORS_FILENAME = "class_colors.json"
CLASS_RENAMES_FILENAME = "class_renames.json"
LOCK_FILENAME = ".lock"
MODELS_DIRNAME = "models"  # trained SAMIC models: <annotations>/models/<name>.samic
MODEL_SUFFIX = ".samic"
LAST_SUFFIX = ".last" + MODEL_SUFFIX  # the resumable last epoch beside each model
TRACK_JOURNAL = ".track.json"  # how far `samic track` got on a clip (samic_core/video/track.py)
RESERVED_NAMES = frozenset(
    {CLASSES_FILENAME, CLASS_COLORS_FILENAME, CLASS_RENAMES_FILENAME, LOCK_FILENAME,
     MODELS_DIRNAME, TRACK_JOURNAL}
)  # fmt: skip
MASK_KINDS = ("instances", "semantic")
_MASK_RE = re.compile(r"^(?P<image>.+)\.(?P<hash>[0-9a-f]{16})\.(?P<kind>instances|semantic)\.png$")


def has_image_extension(name: str) -> bool:
    return Path(name).suffix.lower() in IMAGE_EXTENSIONS


def json_name(image_name: str) -> str:
    """Layout-2 annotation file name of an image: its full name plus `.json`."""
    return f"{image_name}.json"


def mask_name(image_name: str, kind: str, png: bytes) -> str:
    """Layout-2 mask file name: a new name for new content, so a save never overwrites a mask."""
    assert kind in MASK_KINDS
    return f"{image_name}.{hashlib.sha256(png).hexdigest()[:16]}.{kind}.png"


def mask_owner(file_name: str) -> str | None:
    """The image name a layout-2 mask file belongs to, or None when it is not one."""
    m = _MASK_RE.match(file_name)
    return m.group("image") if m else None


def image_of_json(file_name: str) -> str | None:
    """The image a layout-2 JSON file name belongs to; None for layout-1 or shared files."""
    if file_name in RESERVED_NAMES or not file_name.endswith(".json"):
        return None
    image = file_name[: -len(".json")]
    return image if has_image_extension(image) else None


def is_annotation_json(file_name: str) -> bool:
    """A per-image JSON of either layout (not a shared file, not a temporary file)."""
    return (
        file_name.endswith(".json")
        and file_name not in RESERVED_NAMES
        and not (file_name.startswith(".") and ".tmp" in file_name)
    )


def legacy_names(image_name: str) -> tuple[str, str, str]:
    """Layout-1 (JSON, semantic PNG, instance PNG) names of an image."""
    stem = Path(image_name).stem
    return f"{stem}.json", f"{stem}.png", f"{stem}_instances.png"


def is_safe_file_name(name: str) -> bool:
    """A plain file name inside the folder (what a JSON may name as its mask): the one rule of
    samic_core.safepath for every name read from a file."""
    return is_plain_name(name)


def models_dir(annotations_dir: Path) -> Path:
    """Where trained models of a folder live, shared by `samic train` and the app."""
    return Path(annotations_dir) / MODELS_DIRNAME


def model_path(annotations_dir: Path, name: str) -> Path:
    """The model file called `name` (no suffix) in the folder's models."""
    return models_dir(annotations_dir) / f"{name.strip()}{MODEL_SUFFIX}"


def default_model_name(annotations_dir: Path, now: datetime | None = None) -> str:
    """`samic-YYYYmmdd-HHMM`, with -2, -3 ... appended while that model (or its `.last`
    file) already exists: the name the app offers and `samic train` uses without --out."""

    def taken(name: str) -> bool:
        best = model_path(annotations_dir, name)
        return best.exists() or best.with_name(name + LAST_SUFFIX).exists()

    base = f"samic-{(now or datetime.now()).strftime('%Y%m%d-%H%M')}"
    name, n = base, 1
    while taken(name):
        n += 1
        name = f"{base}-{n}"
    return name


# ---- clips: a folder of frames (samic_core/video/clip.py, docs/format.md "Clips")
FRAMES_SUFFIX = ".frames"  # a video's frames go to `<video>.frames/` beside it
EXTRACTED_FILE = ".extracted.json"  # written last by the extraction: a finished frames folder


def is_clip_folder(folder: Path, images: Sequence[Path]) -> bool:
    """Whether an image folder looks like a clip: a video's extracted frames, or two or more
    frames all named by numbers (00000.jpg ...), as DAVIS and sam2 name them."""
    if (folder / EXTRACTED_FILE).is_file():
        return True
    return len(images) >= 2 and all(p.stem.isdigit() for p in images)
