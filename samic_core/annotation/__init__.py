"""The SAMBOX annotation format: per-image JSON prompts + PNG masks under FOLDER/annotations/."""

from samic_core.annotation.models import (
    SCHEMA_VERSION,
    AnnotatedObject,
    ImageAnnotation,
    Point,
)
from samic_core.annotation.store import AnnotationStore, LoadedAnnotation

__all__ = [
    "SCHEMA_VERSION",
    "AnnotatedObject",
    "AnnotationStore",
    "ImageAnnotation",
    "LoadedAnnotation",
    "Point",
]
