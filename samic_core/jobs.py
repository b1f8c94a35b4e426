"""The one progress-callback shape and the one cancellation exception of core, CLI and app.

`Progress(done, total, name)`: `done` of `total` steps (images, encoder blocks, bytes), `name`
the item just handled ("" when there is none); `total` 0 = not known yet. A job that may be
stopped takes `should_stop()` (or the app's worker context) and raises `Cancelled`, which the
caller catches to clean up and report "cancelled" rather than an error. Torch-free.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[int, int, str], None]
ShouldStop = Callable[[], bool]


class Cancelled(Exception):
    """Raised inside a job that was asked to stop; the job cleans up and reports it."""
