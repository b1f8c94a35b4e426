"""Which images a distributed `samic predict` run has finished, so a rerun does only the rest.

A run is identified by everything that decides its output (model file, SAM model, classes,
references, peak rule, prompt mode): `run_key`. Its ledger lives next to the annotations, in
`<annotations>/.samic-runs/<key>/`, on the same shared filesystem every worker writes to:

    done/<stripe>/<image name>.json   one marker per finished image (outcome per class), written
                                      atomically after the image's annotation was saved
    locks/<stripe>.lock               flock stripes: a worker holds its image's stripe while it
                                      checks the marker, predicts, saves and marks, so one image
                                      is never processed by two workers at once (e.g. a stray
                                      worker of a killed driver and the rerun's worker)

A marker records the image's size and modification time and the sha256 of the image's annotation
JSON as the run left it (which names its masks by content hash, so it stands for the masks too),
or that there was none. The marker counts only while both are unchanged: an image changed since,
or whose annotation was cleared, edited or rewritten by another run, is done again (and the save
rule of samic_core.predict.saving keeps what must not be replaced). Failed images get no
marker, so a rerun retries them. No marker is ever half-written (temp + rename), and a killed
worker's flock is released by the OS.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from samic_core.annotation import AnnotationStore
from samic_core.fileio import atomic_write_json, sha256_file
from samic_core.filelock import file_lock
from samic_core.predict.saving import ImageOutcome

RUNS_DIRNAME = ".samic-runs"
_STRIPES = 256


def run_key(parts: dict[str, Any]) -> str:
    """A short stable hash of the settings that decide a run's output (JSON-serialisable)."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _stripe(name: str) -> str:
    return f"{hashlib.sha1(name.encode('utf-8')).digest()[0] % _STRIPES:02x}"


def _stamp(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def annotation_digest(store: AnnotationStore, name: str) -> str | None:
    """sha256 of the image's annotation JSON as it is now; None when it has none."""
    try:
        return sha256_file(store.json_path(name))
    except FileNotFoundError:
        return None


class RunLedger:
    """The finished images of one run (`root` = <annotations>/.samic-runs/<key>)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    @classmethod
    def for_run(cls, annotations_dir: Path, key: str) -> RunLedger:
        return cls(annotations_dir / RUNS_DIRNAME / key)

    def marker_path(self, name: str) -> Path:
        return self.root / "done" / _stripe(name) / f"{name}.json"

    @contextmanager
    def claim(self, name: str) -> Iterator[None]:
        """Hold the image's lock stripe (across processes and machines sharing the folder)."""
        with file_lock(self.root / "locks" / f"{_stripe(name)}.lock"):
            yield

    def finished(self, path: Path, store: AnnotationStore) -> list[ImageOutcome] | None:
        """The recorded outcomes of an image, or None when it is not done, or when the image or
        its annotation in `store` changed since."""
        try:
            data = json.loads(self.marker_path(path.name).read_text("utf-8"))
            if tuple(data["stamp"]) != _stamp(path):
                return None
            if data["annotation"] != annotation_digest(store, path.name):
                return None
            return [ImageOutcome(**o) for o in data["outcomes"]]
        except (OSError, ValueError, KeyError, TypeError):
            return None  # missing, unreadable or from another version: do the image again

    def record(self, path: Path, outcomes: list[ImageOutcome], store: AnnotationStore) -> None:
        """Mark an image finished, with its annotation in `store` as it is now (call it after
        the image's save, holding its claim)."""
        atomic_write_json(
            self.marker_path(path.name),
            {
                "stamp": list(_stamp(path)),
                "annotation": annotation_digest(store, path.name),
                "outcomes": [asdict(o) for o in outcomes],
            },
        )

    def all_finished(
        self, paths: list[Path], store: AnnotationStore
    ) -> dict[str, list[ImageOutcome]]:
        """{image name: outcomes} of the images of `paths` that are finished (one directory
        scan, then a read per marker found)."""
        done_dir = self.root / "done"
        present: set[str] = set()
        if done_dir.is_dir():
            for stripe in os.scandir(done_dir):
                if stripe.is_dir():
                    present.update(
                        e.name[:-5]
                        for e in os.scandir(stripe.path)
                        if e.name.endswith(".json") and not e.name.startswith(".")
                    )
        out = {}
        for p in paths:
            if p.name in present:
                outcomes = self.finished(p, store)
                if outcomes is not None:
                    out[p.name] = outcomes
        return out
