"""Checked values of settings and environment variables: the embedding cache's size limit.

A bad value (not a number, NaN, infinite, negative, absurdly large) is a SamicError whose one
line names the variable or option and the value, so the CLI, the app and Ray actors all report
it the same way instead of a traceback deep inside, and nothing is silently reinterpreted (a
negative limit is not a 0-byte cache).
"""

from __future__ import annotations

import math
import os

from samic_core.config import DEFAULT_CACHE_MAX_GB
from samic_core.errors import SamicError

CACHE_MAX_GB_ENV = "SAMIC_CACHE_MAX_GB"
CACHE_MAX_GB_LIMIT = float(1 << 20)  # 1 PiB: anything larger is a typo, not a disk
GIB = 1 << 30


def _shown(value: object) -> str:
    """`value` as the error line shows it: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_cache_max_gb(value: object, name: str) -> float:
    """`value` (a number or its text) as a cache size limit in GiB, from 0 to 1 PiB.

    `name` is what the user set (an environment variable, a flag, a settings key); it and the
    value are named in the SamicError for anything else.
    """
    try:
        gb = float(value.strip() if isinstance(value, str) else value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        gb = math.nan
    if not 0.0 <= gb <= CACHE_MAX_GB_LIMIT:  # also false for NaN
        raise SamicError(
            f"{name} must be a cache size in GiB from 0 to {CACHE_MAX_GB_LIMIT:.0f}, "
            f"got {_shown(value)}"
        )
    return gb


def cache_max_bytes(gb: float | None, name: str) -> int | None:
    """The byte limit for a GiB value given as `name` (checked); None stays None (default)."""
    return None if gb is None else int(check_cache_max_gb(gb, name) * GIB)


def env_cache_max_bytes() -> int:
    """The byte limit from SAMIC_CACHE_MAX_GB (checked), else DEFAULT_CACHE_MAX_GB."""
    env = os.environ.get(CACHE_MAX_GB_ENV, "")
    gb = check_cache_max_gb(env, CACHE_MAX_GB_ENV) if env.strip() else DEFAULT_CACHE_MAX_GB
    return int(gb * GIB)


def check_max_bytes(max_bytes: object) -> int:
    """A byte limit given directly to the cache: a whole number of bytes, 0 or more."""
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, (int, float)):
        raise SamicError(f"cache max_bytes must be a number of bytes, got {_shown(max_bytes)}")
    if not 0 <= max_bytes <= CACHE_MAX_GB_LIMIT * GIB:  # also false for NaN
        raise SamicError(
            f"cache max_bytes must be from 0 to {int(CACHE_MAX_GB_LIMIT * GIB)}, "
            f"got {_shown(max_bytes)}"
        )
    return int(max_bytes)
