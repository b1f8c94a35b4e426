"""The pipeline's writer thread: saves each image's objects in order, off the device's thread."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from pathlib import Path

from samic_core.annotation import AnnotationStore
from samic_core.predict.objects import Found
from samic_core.predict.saving import ImageOutcome, save_found


class SaveItem:
    """What the writer needs of one image: its path, size and hash, and the status it already
    has ("protected" / "failed"; "" when `found` is to be saved)."""

    __slots__ = ("error", "found", "hw", "path", "sha", "status")

    def __init__(
        self,
        path: Path,
        status: str,
        error: str,
        hw: tuple[int, int],
        sha: str | None,
        found: dict[str, Found] | None,
    ) -> None:
        self.path, self.status, self.error, self.hw, self.sha = path, status, error, hw, sha
        self.found = found


class Writer:
    """The writer thread: saves each image's objects in order, then reports its outcomes.

    put() blocks while `maxsize` images wait (bounded memory); an error in the thread is
    raised on the next put() or at close().
    """

    def __init__(
        self,
        store: AnnotationStore,
        sam_model: str,
        labels: list[str],
        done: Callable[[str, list[ImageOutcome]], None],
        maxsize: int,
    ) -> None:
        self.store, self.sam_model, self.labels, self.done = store, sam_model, labels, done
        self.error: BaseException | None = None
        self._queue: queue.Queue[SaveItem | None] = queue.Queue(maxsize)
        self._thread = threading.Thread(target=self._run, name="samic-writer", daemon=True)
        self._thread.start()

    def put(self, item: SaveItem) -> None:
        while True:
            if self.error is not None:
                raise self.error
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def close(self, reraise: bool = True) -> None:
        """Write what is queued, stop the thread; raise its error if it had one and `reraise`
        (False while another error is on its way, so that one is not hidden)."""
        while self._thread.is_alive():
            try:
                self._queue.put(None, timeout=0.1)
                break
            except queue.Full:
                continue
        self._thread.join()
        if reraise and self.error is not None:
            raise self.error

    def _run(self) -> None:
        try:
            while (item := self._queue.get()) is not None:
                if item.found is None:
                    outcomes = [
                        ImageOutcome(item.path.name, item.status, error=item.error)
                        for _ in self.labels
                    ]
                else:
                    outcomes = save_found(
                        self.store, item.path, item.found, self.sam_model, item.hw, item.sha
                    )
                self.done(item.path.name, outcomes)
        except BaseException as e:  # noqa: BLE001 - handed to the calling thread
            self.error = e
