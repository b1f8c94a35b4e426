"""A short, stable identity for a checkpoint file (its sha256), memoised on disk.

Hashing a 2.5 GB checkpoint takes seconds, so the digest is remembered in a small JSON file
keyed by (absolute path, size, mtime) and recomputed only when the file changes.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

from samic_core.fileio import atomic_write_json, sha256_file
from samic_core.paths import user_cache_root

log = logging.getLogger(__name__)

_lock = threading.Lock()
ID_LENGTH = 16


def checkpoint_sha256(path: str | Path) -> str:
    """Full sha256 of the checkpoint file, from the memo when the file is unchanged."""
    path = Path(path).resolve()
    st = path.stat()
    key = f"{path}|{st.st_size}|{st.st_mtime_ns}"
    memo_path = user_cache_root() / "checkpoint_hashes.json"
    with _lock:
        memo: dict[str, str] = {}
        try:
            memo = json.loads(memo_path.read_text(encoding="utf-8"))
            if not isinstance(memo, dict):
                memo = {}
        except (OSError, ValueError, RecursionError):  # a damaged memo is only a lost shortcut
            memo = {}
        known = memo.get(key)
        if isinstance(known, str) and len(known) == 64:
            return known
        digest = sha256_file(path)
        memo[key] = digest
        try:
            atomic_write_json(memo_path, memo)
        except OSError as e:
            log.debug("could not write checkpoint hash memo %s: %s", memo_path, e)
        return digest


def checkpoint_id(path: str | Path) -> str:
    """First 16 hex digits of the checkpoint's sha256."""
    return checkpoint_sha256(path)[:ID_LENGTH]
