"""Pydantic v2 models of one image's annotation (documented in docs/format.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SCHEMA_VERSION = 2
READABLE_SCHEMA_VERSIONS = (1, 2)  # 1: masks at <stem>.png / <stem>_instances.png
MAX_PIXELS = 1 << 30  # width x height (1074 MP, as OpenCV reads); a uint16 mask this size is 2 GiB


class Point(BaseModel):
    """A point prompt in original-image pixels; positive = foreground click."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    x: float
    y: float
    positive: bool = True


class AnnotatedObject(BaseModel):
    """One object instance: its prompts, the SAM score of its mask, and where it came from.

    `id` matches the value of this object's pixels in the instance mask PNG.
    `candidate` is the index of SAM's multimask output the annotator chose (0-2), or None
    when the mask came from SAM's single-mask output; with the prompts it makes a mask replayable.
    `edited` is True when the annotator changed the mask by hand (brush, eraser, polygon): the
    saved instance PNG is then the truth, and re-decoding the prompts would lose the edit.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    id: int = Field(ge=1, le=65535)
    label: str
    points: list[Point] = Field(default_factory=list)
    box: list[float] | None = None
    score: float | None = None
    source: Literal["manual", "predicted"] = "manual"
    reviewed: bool = True
    candidate: int | None = Field(default=None, ge=0, le=2)
    edited: bool = False

    @field_validator("box")
    @classmethod
    def _box_is_xyxy(cls, box: list[float] | None) -> list[float] | None:
        if box is None:
            return None
        if len(box) != 4:
            raise ValueError(f"box must be [x0, y0, x1, y1], got {len(box)} numbers")
        x0, y0, x1, y1 = box
        return [min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)]

    @property
    def positive_points(self) -> list[Point]:
        return [p for p in self.points if p.positive]


def is_trusted(obj: AnnotatedObject) -> bool:
    """Whether a person stands behind `obj`: a manual object, or a prediction they reviewed.
    SAMIC learns from these (training, prediction references), at the points of
    `mask_points.object_points`."""
    return obj.source == "manual" or (obj.source == "predicted" and obj.reviewed)


class MaskFiles(BaseModel):
    """The mask files a saved annotation belongs with (schema_version 2).

    The files are named by their content hash, so a save writes new files and the JSON, renamed
    into place last, switches to them in one step. `classes` is the class list the semantic
    PNG's values index (value k = classes[k - 1]), so that PNG stays readable on its own.
    """

    model_config = ConfigDict(extra="forbid")

    instances: str
    semantic: str
    classes: list[str] = Field(default_factory=list)


class ImageAnnotation(BaseModel):
    """Everything saved for one image in `<image name>.json`."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    schema_version: int = SCHEMA_VERSION
    image: str
    image_sha256: str
    width: int = Field(gt=0)
    height: int = Field(gt=0)
    sam_model: str | None = None
    objects: list[AnnotatedObject] = Field(default_factory=list)
    masks: MaskFiles | None = None  # set by AnnotationStore.save; None in schema_version 1
    done: bool = False  # the annotator marked this image finished
    updated: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    @field_validator("schema_version")
    @classmethod
    def _known_version(cls, v: int) -> int:
        if v not in READABLE_SCHEMA_VERSIONS:
            raise ValueError(
                f"unknown schema_version {v}; this version of SAMIC reads "
                f"{', '.join(map(str, READABLE_SCHEMA_VERSIONS))}"
            )
        return v

    @model_validator(mode="after")
    def _bounded_size(self) -> ImageAnnotation:
        if self.width * self.height > MAX_PIXELS:
            raise ValueError(
                f"image size {self.width}x{self.height} is over the limit of {MAX_PIXELS} pixels"
            )
        return self

    @model_validator(mode="after")
    def _unique_ids(self) -> ImageAnnotation:
        ids = [o.id for o in self.objects]
        if len(ids) != len(set(ids)):
            raise ValueError(f"object ids must be unique, got {ids}")
        return self

    @property
    def is_predicted_unreviewed(self) -> bool:
        return any(o.source == "predicted" and not o.reviewed for o in self.objects)

    @property
    def has_manual(self) -> bool:
        return any(o.source == "manual" for o in self.objects)

    def next_object_id(self) -> int:
        return max((o.id for o in self.objects), default=0) + 1
