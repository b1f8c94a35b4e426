"""Where SAMIC keeps per-user data: checkpoints and the embedding cache.

SAMIC_HOME (environment) moves everything, which tests use to stay isolated; SAMIC_CACHE_DIR
moves the embedding cache only. A value that cannot be a folder (a `~user` that does not exist,
an existing file) is a one-line SamicError naming the variable and the value.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from samic_core.errors import SamicError


def _env_folder(name: str) -> Path | None:
    """The folder environment variable `name` names (`~` expanded), or None when unset."""
    env = os.environ.get(name)
    if not env:
        return None
    try:
        path = Path(env).expanduser()
    except RuntimeError:  # "~user" of no such user, or no home folder at all
        raise SamicError(f"{name}={env!r}: cannot expand '~' (no such home folder)") from None
    if path.exists() and not path.is_dir():
        raise SamicError(f"{name}={env!r} is not a folder")
    return path


def user_cache_root() -> Path:
    """Root of the per-user cache (checkpoints, embeddings)."""
    home = _env_folder("SAMIC_HOME")
    if home is not None:
        return home
    return Path(platformdirs.user_cache_dir("samic", appauthor=False))


def checkpoints_dir() -> Path:
    """Folder where `samic weights download` stores SAM checkpoints."""
    return user_cache_root() / "checkpoints"


def rasters_dir() -> Path:
    """Where big images are decoded once to disk (samic_core/raster.py)."""
    return user_cache_root() / "rasters"


def embeddings_dir() -> Path:
    """Default folder of the on-disk SAM embedding cache."""
    return _env_folder("SAMIC_CACHE_DIR") or user_cache_root() / "embeddings"
