"""classes.json: the folder's ordered class list, shared by every writer and merged under a lock.

Nobody writes back a copy: adding merges the new names into what is on disk now, renaming and
removing change one name in what is on disk now, each inside `AnnotationStore.lock()`. So
classes added meanwhile by another process (the app, `samic import`, `samic predict`) survive.

class_renames.json ({old name: new name}) remembers renames, so a writer that started before a
rename (a prediction run of the old name) writes under the new name instead of bringing the old
one back. A name that is in classes.json is never mapped: a class given an old name again is a
new class.
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


def read_renames(path: Path) -> dict[str, str]:
    """The {old: new} class renames recorded in `path`; {} when it does not exist."""
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise AnnotationError(path, f"malformed JSON ({str(e)[:200]})") from None
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and k and isinstance(v, str) and v for k, v in data.items()
    ):
        raise AnnotationError(path, "must be a JSON object of {old class name: new class name}")
    return data


def write_renames(path: Path, renames: dict[str, str]) -> None:
    if renames or path.exists():
        atomic_write_json(path, dict(sorted(renames.items())))


def with_rename(renames: dict[str, str], old: str, new: str) -> dict[str, str]:
    """The log after renaming `old` to `new`: earlier names of `old` now lead to `new` too, and
    `new` itself is a live name again."""
    out = {k: (new if v == old else v) for k, v in renames.items() if k != new}
    out[old] = new
    return out


def current_name(label: str, classes: list[str], renames: dict[str, str]) -> str:
    """What `label` is called now: itself when it is a class (or was never renamed), else the
    end of its rename chain."""
    seen = {label}
    while label not in classes and label in renames and renames[label] not in seen:
        label = renames[label]
        seen.add(label)
    return label


def merged(classes: list[str], labels: list[str]) -> list[str]:
    """`classes` with the labels it lacks appended in first-seen order."""
    known = set(classes)
    return classes + [lab for lab in dict.fromkeys(labels) if lab not in known]
