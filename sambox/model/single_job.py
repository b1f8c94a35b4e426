"""One job at a time: the skeleton every single-job service and controller shares.

The checkpoint download, the export/import service, the training and auto-annotation
controllers and the transfer controller each run at most one job of their kind. `SingleJob`
holds what that job is while it runs (its Worker, its TrainOptions, its request), refuses a
second one, forwards a cancel to it, passes on only its own job's progress, and forgets it when
it ends (result, failure or stop). It is Qt-free and holds values, never widgets: its owner
wires the signals to `relay` and `ending` handlers, which controllers and services alike may
import (they never import each other).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

T = TypeVar("T")
P = ParamSpec("P")


class SingleJob(Generic[T]):
    """The job of one kind in progress (None when none is), and the handlers around it.

    cancel: how to ask the running job to stop, given the job (None: there is nothing to ask;
      a stop then still ends through `end` or an `ending` handler).
    """

    def __init__(self, cancel: Callable[[T], Any] | None = None) -> None:
        self._cancel = cancel
        self._job: T | None = None

    @property
    def running(self) -> bool:
        """Whether a job runs now."""
        return self._job is not None

    @property
    def job(self) -> T | None:
        """The job in progress (None when none is)."""
        return self._job

    def begin(self, job: T) -> bool:
        """Remember `job` as the one running; False, and nothing changes, while another runs."""
        if self._job is not None:
            return False
        self._job = job
        return True

    def cancel(self) -> None:
        """Ask the running job to stop (nothing when none runs); it ends later, as it reports."""
        if self._job is not None and self._cancel is not None:
            self._cancel(self._job)

    def end(self) -> T | None:
        """Forget the running job and return it (None when none ran): its last report came."""
        job, self._job = self._job, None
        return job

    def relay(self, handler: Callable[P, Any]) -> Callable[P, None]:
        """`handler`, called only while a job runs: this job's progress, never another's."""

        def call(*args: P.args, **kwargs: P.kwargs) -> None:
            if self._job is not None:
                handler(*args, **kwargs)

        return call

    def ending(self, handler: Callable[Concatenate[T, P], Any]) -> Callable[P, None]:
        """A handler for the job's last report (result, failure or stop): forgets the job, then
        calls `handler(job, *args)`; nothing when no job of this owner runs."""

        def call(*args: P.args, **kwargs: P.kwargs) -> None:
            job = self.end()
            if job is not None:
                handler(job, *args, **kwargs)

        return call
