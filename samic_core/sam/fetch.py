"""Download an official checkpoint with the check it needs: the sha256 where Meta publishes
one (SAM 1), else that the file loads as that SAM 2.1 model (weights' names and trunk shapes)."""

from __future__ import annotations

from pathlib import Path

from samic_core.jobs import Progress
from samic_core.sam.sam2_loading import verify_sam2_file
from samic_core.sam.weights import checkpoint_info, download_checkpoint


def fetch_checkpoint(
    model_type: str,
    dest_dir: str | Path | None = None,
    progress: Progress | None = None,
    url: str | None = None,
) -> Path:
    """`download_checkpoint`, with a SAM 2.1 file checked to be `model_type` before it is kept
    (and an unusable file already there fetched again)."""
    check = None
    if checkpoint_info(model_type).sha256 is None:

        def check(path: Path) -> None:
            verify_sam2_file(path, model_type)

    return download_checkpoint(model_type, dest_dir, progress, url, check)
