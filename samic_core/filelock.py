"""An inter-process lock on a folder, so concurrent writers of shared files merge, never clobber.

`folder_lock(path)` takes an exclusive `flock` (POSIX) or `msvcrt` byte lock (Windows) on a
small lock file; the OS releases it when the holder dies, even on kill -9, so a crash never
leaves a folder locked. Within one process the lock is re-entrant per thread and serialises
threads, so nested store operations (a save that merges classes) take it once.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

if sys.platform == "win32":  # pragma: no cover - Windows (a check the type checker follows)
    import msvcrt

    def _lock_fd(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        while True:
            try:
                msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
                return
            except OSError:  # LK_LOCK gives up after 10 s; keep waiting like flock does
                continue

    def _unlock_fd(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:  # POSIX
    import fcntl

    def _lock_fd(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)

    def _unlock_fd(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


class _Held:
    """One lock file's in-process state: a re-entrant thread lock, the depth, the open fd."""

    def __init__(self) -> None:
        self.rlock = threading.RLock()
        self.depth = 0
        self.fd: int | None = None


_REGISTRY: dict[str, _Held] = {}
_REGISTRY_LOCK = threading.Lock()


@contextmanager
def file_lock(lock_path: str | Path) -> Iterator[None]:
    """Hold an exclusive lock on `lock_path` (created if missing) for the `with` block."""
    path = Path(lock_path).absolute()
    with _REGISTRY_LOCK:
        held = _REGISTRY.setdefault(str(path), _Held())
    with held.rlock:
        if held.depth == 0:
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
            except PermissionError:  # another user's lock file: a read-only fd locks too
                fd = os.open(path, os.O_RDONLY)
            try:
                _lock_fd(fd)
            except BaseException:
                os.close(fd)
                raise
            held.fd = fd
        held.depth += 1
        try:
            yield
        finally:
            held.depth -= 1
            if held.depth == 0 and held.fd is not None:
                fd, held.fd = held.fd, None
                try:
                    _unlock_fd(fd)
                finally:
                    os.close(fd)
