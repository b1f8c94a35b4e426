"""The heavy imports (torch, torchvision, segment_anything, the engines) happen once, on one
thread.

Python's import machinery is not safe for two threads importing the same large package graph
at once: torchvision half-imported on one thread is seen "partially initialized" by the other
(`cannot import name 'InterpolationMode' from partially initialized module ...`). Every service
job that needs torch calls `ensure_runtime()` first: the first caller imports the stack under a
lock, the others wait for it, and later calls cost one flag check.
"""

from __future__ import annotations

import importlib
import threading

HEAVY_MODULES = (
    "torch",
    "torchvision",
    "torchvision.transforms",
    "segment_anything",
    "samic_core.sam.engine",
    "samic_core.sam.sam2_engine",  # sam2 itself is imported when a SAM 2.1 model is built
    "samic_core.sam.build",
    "samic_core.sam.cache",
    "samic_core.modelfile.file",
)

_lock = threading.Lock()
_ready = False


def ensure_runtime() -> None:
    """Import the torch stack once (thread-safe); re-raises an import error to every caller."""
    global _ready
    if _ready:
        return
    with _lock:
        if _ready:
            return
        for name in HEAVY_MODULES:
            importlib.import_module(name)
        _ready = True
