"""Known SAM / SAM 2.1 checkpoints and their download: progress bar, sha256 check, atomic rename."""

from __future__ import annotations

import hashlib
import logging
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from samic_core.config import download_type
from samic_core.errors import DownloadError, SamicError
from samic_core.jobs import Progress
from samic_core.paths import checkpoints_dir
from samic_core.sam.registry import MODELS, CheckpointInfo

log = logging.getLogger(__name__)

KNOWN_CHECKPOINTS: dict[str, CheckpointInfo] = {n: m.checkpoint for n, m in MODELS.items()}


def checkpoint_info(model_type: str) -> CheckpointInfo:
    try:
        return KNOWN_CHECKPOINTS[model_type]
    except KeyError:
        known = ", ".join(KNOWN_CHECKPOINTS)
        raise DownloadError(f"unknown SAM model type {model_type!r}; known: {known}") from None


def find_checkpoint(model_type: str) -> Path | None:
    """The downloaded checkpoint for `model_type` in the user cache, or None.

    "auto" (or "custom") looks for vit_b first, then for any other downloaded model in the
    registry's order, so a user who downloaded only SAM 2.1 needs no --model-type."""
    if model_type not in KNOWN_CHECKPOINTS:
        for name in (download_type(model_type), *KNOWN_CHECKPOINTS):
            found = find_checkpoint(name)
            if found is not None:
                return found
        return None
    path = KNOWN_CHECKPOINTS[model_type].default_path()
    return path if path.is_file() else None


def manual_download_hint(info: CheckpointInfo) -> str:
    return (
        f"Download {info.url} on a machine with internet access and put it at "
        f"{info.default_path()}, or pass --checkpoint PATH to any command."
    )


def resolve_checkpoint(checkpoint: Path | None, model_type: str) -> Path:
    """The checkpoint path to use (`checkpoint`, else the downloaded one for `model_type`), or a
    SamicError that says how to get one (shared by the CLI and the Ray drivers)."""
    if checkpoint is not None:
        if not checkpoint.is_file():
            raise SamicError(f"{checkpoint}: checkpoint file does not exist")
        return checkpoint
    found = find_checkpoint(model_type)
    if found is not None:
        return found
    info = KNOWN_CHECKPOINTS.get(download_type(model_type))
    assert info is not None
    raise SamicError(
        f"no SAM checkpoint for {info.model_type}: run `samic weights download "
        f"{info.model_type}`. {manual_download_hint(info)}"
    )


def download_file(
    url: str,
    dest: str | Path,
    sha256: str | None,
    progress: Progress | None = None,
    timeout: float = 60.0,
    chunk: int = 1 << 20,
    check: Callable[[Path], None] | None = None,
) -> Path:
    """Stream `url` to `dest`, verifying sha256; the file appears at `dest` only when complete.

    Data goes to `dest.part` first, is hashed while it arrives, and is renamed over `dest` only
    after the hash matches and `check(part file)` (when given) raises nothing. Any failure
    (network, short read, mismatch, a failed check) deletes the partial file and raises
    DownloadError with a message that says what to do instead.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    h = hashlib.sha256()
    done = 0
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp, open(part, "wb") as out:
            length = resp.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            if progress:
                progress(0, total or 0, dest.name)
            while block := resp.read(chunk):
                out.write(block)
                h.update(block)
                done += len(block)
                if progress:
                    progress(done, total or 0, dest.name)
            out.flush()
            os.fsync(out.fileno())
        if total is not None and done != total:
            raise DownloadError(f"download of {url} stopped after {done} of {total} bytes")
        digest = h.hexdigest()
        if sha256 is not None and digest != sha256.lower():
            raise DownloadError(
                f"checksum mismatch for {url}: expected sha256 {sha256}, got {digest}; "
                "the file was discarded"
            )
        if check is not None:
            try:
                check(part)
            except SamicError as e:
                msg = f"{url} is not the expected file ({e}); it was discarded"
                raise DownloadError(msg) from e
        os.replace(part, dest)
        return dest
    except DownloadError:
        part.unlink(missing_ok=True)
        raise
    except (TimeoutError, urllib.error.URLError, OSError, ConnectionError) as e:
        part.unlink(missing_ok=True)
        reason = getattr(e, "reason", None) or e
        raise DownloadError(f"could not download {url}: {reason}") from e
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def download_checkpoint(
    model_type: str,
    dest_dir: str | Path | None = None,
    progress: Progress | None = None,
    url: str | None = None,
    check: Callable[[Path], None] | None = None,
) -> Path:
    """Download the official checkpoint of `model_type` into the checkpoints dir (or `dest_dir`).

    `url` overrides the official address (a mirror, or a local server in tests). check: raises
    SamicError for a file that is not this checkpoint; run before a download is kept and on a
    file already there (which is fetched again when it fails). samic_core.sam.fetch passes the
    one files without a published sha256 need (this module stays torch-free for the app).
    """
    info = checkpoint_info(model_type)
    dest = (Path(dest_dir) if dest_dir else checkpoints_dir()) / info.filename
    if dest.is_file():
        try:
            if check is not None:
                check(dest)
            log.info("%s already present at %s", info.filename, dest)
            return dest
        except SamicError as e:  # e.g. an earlier download of an error page: fetch it again
            log.warning("%s is not a usable %s checkpoint (%s); downloading it again",
                        dest, model_type, e)  # fmt: skip
    try:
        return download_file(url or info.url, dest, info.sha256, progress, check=check)
    except DownloadError as e:
        raise DownloadError(f"{e}\n{manual_download_hint(info)}") from e
