"""Turn exceptions from model work into one plain sentence for an error dialog."""

from __future__ import annotations

from samic_core.errors import SamicError


def is_out_of_memory(e: BaseException) -> bool:
    return isinstance(e, MemoryError) or "out of memory" in str(e).lower()


def describe_error(e: BaseException, doing: str) -> str:
    """'<what failed>: <why>' in words an annotator can act on."""
    if is_out_of_memory(e):
        return (
            f"Out of memory while {doing}. Close other programs, choose a smaller SAM model, "
            "or switch the device to CPU in Settings."
        )
    if isinstance(e, SamicError):
        return f"Error while {doing}: {e}"
    return f"Error while {doing}: {type(e).__name__}: {e}"
