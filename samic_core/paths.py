"""Where SAMIC keeps per-user data: checkpoints and the embedding cache.

SAMIC_HOME (environment) moves everything, which tests use to stay isolated.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def user_cache_root() -> Path:
    """Root of the per-user cache (checkpoints, embeddings)."""
    env = os.environ.get("SAMIC_HOME")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_cache_dir("samic", appauthor=False))


def checkpoints_dir() -> Path:
    """Folder where `samic weights download` stores SAM checkpoints."""
    return user_cache_root() / "checkpoints"


def embeddings_dir() -> Path:
    """Default folder of the on-disk SAM embedding cache."""
    env = os.environ.get("SAMIC_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    return user_cache_root() / "embeddings"
