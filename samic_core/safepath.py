"""The one way a name read from a dataset or an annotation file becomes a path.

A name is one plain file or folder name: text, not empty, no NUL, no `/` or `\\`, not `.` or
`..`, at most 255 bytes, and on Windows no drive (`C:name`). `child(root, name, ...)` joins such
a name to its folder and, by default, also requires the result to stay inside that folder after
symbolic links are resolved, so a listed name or a planted link cannot reach files elsewhere. A
refused name raises UnsafeName, naming the file that held the name and the name.
"""

from __future__ import annotations

import os
from pathlib import Path, PureWindowsPath

from samic_core.errors import FileProblem

MAX_NAME_BYTES = 255  # what common file systems allow for one name
WINDOWS = os.name == "nt"  # where `C:name` joined to a folder switches to drive C


class UnsafeName(FileProblem):
    """A name taken from a file cannot be used as a file name inside its folder."""


def name_problem(name: object) -> str | None:
    """Why `name` cannot be one file name inside a folder, or None when it can."""
    if not isinstance(name, str):
        return f"is not text but {type(name).__name__}"
    if not name:
        return "is empty"
    if "\x00" in name:
        return "contains a NUL character"
    if "/" in name or "\\" in name:
        return "contains a path separator (it must be a plain file name)"
    if name in (".", ".."):
        return "is not a file name"
    if WINDOWS and PureWindowsPath(name).drive:
        return "names a drive"
    if len(name.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
        return f"is longer than {MAX_NAME_BYTES} bytes"
    return None


def is_plain_name(name: object) -> bool:
    """Whether `name` is one plain file name (see name_problem)."""
    return name_problem(name) is None


def check_name(source: str | Path, what: str, name: object) -> str:
    """`name` itself when it is a plain file name, else UnsafeName naming `source` and `name`."""
    problem = name_problem(name)
    if problem is not None:
        raise UnsafeName(source, f"{what} {name!r} {problem}")
    assert isinstance(name, str)
    return name


def check_inside(
    root: str | Path, path: str | Path, source: str | Path, what: str, name: str | None = None
) -> Path:
    """`path` when it is inside `root` after both are resolved (links followed), else
    UnsafeName naming `source` and `name` as shown (default: the path); the path need not exist
    yet."""
    path = Path(path)
    shown = f"{what} {name}" if name is not None else f"{what} {str(path)!r}"
    real_root = Path(root).resolve()
    try:
        real = path.resolve()
    except (OSError, RuntimeError) as e:  # a link loop
        raise UnsafeName(source, f"{shown} cannot be resolved ({e})") from None
    if real != real_root and not real.is_relative_to(real_root):
        raise UnsafeName(source, f"{shown} leads outside {root} (to {real})")
    return path


def child(
    root: str | Path,
    name: object,
    source: str | Path,
    what: str = "name",
    *,
    contained: bool = True,
) -> Path:
    """`root / name` for a checked plain `name` read from `source`.

    contained: also require the path to stay inside `root` once links are resolved. Leave it
    off only where a link out of the folder is the folder owner's own choice (a user's image
    folder may link its images in from elsewhere); the name itself is checked either way.
    """
    path = Path(root) / check_name(source, what, name)
    if contained:
        check_inside(root, path, source, what, repr(name))
    return path
