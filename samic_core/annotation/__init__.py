"""The SAMBOX annotation format: per-image JSON prompts + PNG masks under FOLDER/annotations/."""

from samic_core.annotation.classes import ClassInUseError
from samic_core.annotation.models import (
    SCHEMA_VERSION,
    AnnotatedObject,
    ImageAnnotation,
    MaskFiles,
    Point,
)
from samic_core.annotation.store import AnnotationStore, LoadedAnnotation

__all__ = [
    "SCHEMA_VERSION",
    "AnnotatedObject",
    "AnnotationStore",
    "ClassInUseError",
    "ImageAnnotation",
    "LoadedAnnotation",
    "MaskFiles",
    "Point",
]
