"""Errors the library raises for bad input; each names the file and the problem."""

from __future__ import annotations

from pathlib import Path


class SamicError(Exception):
    """Base class for every error that should reach a user as a plain message."""


class FileProblem(SamicError):
    """A file exists but cannot be used; the message names the file and the problem."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class ImageReadError(FileProblem):
    """An image file is missing, unreadable or not an image."""


class AnnotationError(FileProblem):
    """An annotation file (JSON or mask PNG) is malformed or inconsistent."""


class CheckpointError(FileProblem):
    """A model checkpoint is missing, corrupt or of the wrong kind."""


class DownloadError(SamicError):
    """A download failed; nothing that looks complete was left behind."""
