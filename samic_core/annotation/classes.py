"""classes.json: the folder's ordered class list, shared by every writer and merged under a lock.

Nobody writes back a copy: adding merges the new names into what is on disk now, renaming and
removing change one name in what is on disk now, each inside `AnnotationStore.lock()`. So
classes added meanwhile by another process (the app, `samic import`, `samic predict`) survive.
"""

from __future__ import annotations

import json
from pathlib import Path

from samic_core.errors import AnnotationError, SamicError
from samic_core.fileio import atomic_write_json

MAX_CLASSES = 255  # the semantic mask is uint8 and 0 is background


class ClassInUseError(SamicError):
    """A class cannot be removed because saved annotations still use it."""


def read_classes(path: Path) -> list[str]:
    """The ordered class names in `path`; [] when it does not exist. Errors name the file."""
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise AnnotationError(path, f"malformed JSON ({str(e)[:200]})") from None
    if not isinstance(data, list) or not all(isinstance(c, str) and c for c in data):
        raise AnnotationError(path, "must be a JSON list of non-empty class names")
    if len(set(data)) != len(data):
        raise AnnotationError(path, f"class names must be unique, got {data}")
    return data


def check_classes(classes: list[str]) -> None:
    """ValueError unless the names are unique, non-empty and fit the uint8 semantic mask."""
    if len(set(classes)) != len(classes) or not all(isinstance(c, str) and c for c in classes):
        raise ValueError(f"class names must be unique and non-empty, got {classes}")
    if len(classes) > MAX_CLASSES:
        raise ValueError(f"at most {MAX_CLASSES} classes fit in the uint8 semantic mask")


def write_classes(path: Path, classes: list[str]) -> None:
    check_classes(classes)
    atomic_write_json(path, list(classes))


def merged(classes: list[str], labels: list[str]) -> list[str]:
    """`classes` with the labels it lacks appended in first-seen order."""
    known = set(classes)
    return classes + [lab for lab in dict.fromkeys(labels) if lab not in known]
