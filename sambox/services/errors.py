"""Turn exceptions from model work into one plain sentence for an error dialog.

The core's messages are written for the command line ("pass --checkpoint PATH"); in the app
the same advice is given as what to click (`in_app_words`).
"""

from __future__ import annotations

import re

from samic_core.errors import SamicError

# (command-line advice, what to click instead), most specific first
_APP_WORDS = (
    (
        r"pass --backbone-weights PATH, or pass --backbone-weights none for an untrained "
        r"backbone \(tests only\)",
        "choose it in the Train SAMIC dialog under Backbone weights > From a file… (or pick "
        "'None: random backbone', for tests only)",
    ),
    (
        r"pass --backbone-weights PATH",
        "choose it in the Train SAMIC dialog under Backbone weights > From a file…",
    ),
    (
        r"pass --checkpoint PATH to any command\.?",
        "click 'Choose checkpoint file…' in the banner (or File > Settings) and pick it.",
    ),
    (r"--checkpoint PATH", "'Choose checkpoint file…' in the banner"),
)


def in_app_words(text: str) -> str:
    """`text` with command-line advice replaced by the buttons that do the same in the app."""
    for pattern, words in _APP_WORDS:
        text = re.sub(pattern, words, text)
    return text


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
        return in_app_words(f"Error while {doing}: {e}")
    return in_app_words(f"Error while {doing}: {type(e).__name__}: {e}")
