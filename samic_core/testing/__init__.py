"""Helpers that make small random models and data for tests, benchmarks and screenshots.

Nothing here downloads anything: models are randomly initialised with the real classes and
saved in the official checkpoint format, so the real loading code runs on them.
"""

from samic_core.testing.images import make_blob_image
from samic_core.testing.tiny_sam import (
    make_random_sam2_checkpoint,
    make_random_sam_checkpoint,
    make_tiny_sam2_checkpoint,
    make_tiny_sam_checkpoint,
)

__all__ = [
    "make_blob_image",
    "make_random_sam2_checkpoint",
    "make_random_sam_checkpoint",
    "make_tiny_sam2_checkpoint",
    "make_tiny_sam_checkpoint",
]
