"""Plain values the app passes around for SAMIC: training options, model files, job reports.

Qt-free and torch-free: widgets fill these, the SAMIC service turns them into core configs.
Trained models live next to the annotations, in `F/annotations/models/<name>.samic`; training
also writes `<name>.last.samic` (the resumable last epoch), which is not listed as a model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

# where models live and how a new one is named, shared with `samic train`:
from samic_core.annotation.layout import (
    LAST_SUFFIX,
    MODEL_SUFFIX,
    MODELS_DIRNAME,
    default_model_name,
    model_path,
    models_dir,
)
from samic_core.config import (
    BACKBONE_WEIGHTS,
    DEFAULT_BACKBONE_WEIGHTS,
    DEFAULT_BATCH_SIZE,
    DEFAULT_DEVICE,
    DEFAULT_EPOCHS,
    DEFAULT_IMAGE_SIZE,
    DEFAULT_PEAK_CHOICE,
    DEFAULT_SCHEDULE,
    DEVICES,
    EARLY_STOP,
    IMAGE_SIZES,
    PEAK_CHOICES,
    TRAIN_SCHEDULES,
    PeakChoice,
    TrainSchedule,
)

# the app's one door to model metadata:
from samic_core.modelfile.meta import ModelMeta, read_model_meta

__all__ = [  # re-exported for the train dialog and the SAMIC controllers
    "BACKBONE_WEIGHTS",
    "DEVICES",
    "IMAGE_SIZES",
    "LAST_SUFFIX",
    "MODELS_DIRNAME",
    "MODEL_SUFFIX",
    "default_model_name",
    "model_path",
    "models_dir",
]

_NAME_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]*$")


def is_model_file(path: Path) -> bool:
    """A best-model file (`x.samic`), not the `x.last.samic` kept for resuming."""
    name = Path(path).name
    return name.endswith(MODEL_SUFFIX) and not name.endswith(LAST_SUFFIX)


def model_files(annotations_dir: Path) -> list[Path]:
    """The folder's trained models, newest file first."""
    d = models_dir(annotations_dir)
    if not d.is_dir():
        return []
    files = [p for p in d.iterdir() if p.is_file() and is_model_file(p)]
    return sorted(files, key=lambda p: (p.stat().st_mtime, p.name), reverse=True)


def check_model_name(name: str) -> str | None:
    """Why `name` cannot name a model file, or None when it can."""
    if not name.strip():
        return "Give the model a name."
    if not _NAME_OK.match(name.strip()) or name.strip().endswith(".last"):
        return "Use letters, digits, spaces, '.', '_' or '-' (not starting with a symbol)."
    return None


# The words the app shows for the core's vocabularies (which rules and schedules exist, and when a
# schedule stops, is samic_core.config's: PEAK_CHOICES, TRAIN_SCHEDULES, EARLY_STOP).
PEAK_LABELS: dict[PeakChoice, tuple[str, str]] = {  # (combo text, tooltip)
    "model": ("Model's default",
              "One prompt per local maximum for models trained with the BCE term (the "
              "automatic schedule), the paper's rule for others"),
    "nms": ("One per object (local maxima)",
            "A prompt at every local maximum of the heat map; touching objects keep one each "
            "and images without the object get none"),
    "paper": ("Paper rule (regions at half the maximum)",
              "The map binarised at 0.5 of its maximum, one prompt per connected region "
              "(paper 3.4)"),
}  # fmt: skip
SCHEDULE_LABELS: dict[TrainSchedule, tuple[str, str]] = {  # (combo text, tooltip)
    "auto": ("Automatic (recommended)",
             "Several references per image each epoch, random flips; keeps the epoch whose "
             "validation images get the best prompts (objects found, few false prompts), stops "
             "once neither those prompts nor the smoothed validation loss have improved for a "
             "while (counted in optimizer steps) or at the time limit; adds an appearance cue "
             "and a level loss, so the object is told from its look-alikes, and the BCE loss, "
             "images marked done without the class, copies of the images with the objects "
             "painted out, and a presence gate, so that images without the object get no "
             "prompt"),
    "paper": ("Paper (section 4.2)",
              "One reference per image and epoch, KLD + CC + NSS, stops when the training loss "
              f"has not improved for {EARLY_STOP['paper'].patience} epochs (often far too early "
              "on small folders)"),
}  # fmt: skip


def _entries(names: tuple[str, ...], labels: dict) -> list[tuple[str, str, str]]:
    return [(n, *labels.get(n, (n, ""))) for n in names]  # a new core value shows by its name


def peak_entries() -> list[tuple[str, str, str]]:
    """(name, text, tooltip) of every peak rule the core offers, default first."""
    return _entries(PEAK_CHOICES, PEAK_LABELS)


def schedule_entries() -> list[tuple[str, str, str]]:
    """(name, text, tooltip) of every training schedule the core offers."""
    return _entries(TRAIN_SCHEDULES, SCHEDULE_LABELS)


def patience_in_epochs(
    schedule: str, patience: int | None, steps_per_epoch: int, steps_done: int
) -> int:
    """The schedule's early-stop patience (None: its default) as whole epochs from now, for
    the time-left range: counted in steps it is also held back by the minimum step count."""
    c = EARLY_STOP[schedule]  # type: ignore[index]
    patience = c.patience if patience is None else patience
    if c.unit == "epochs":
        return patience
    steps = max(patience, c.min_steps - steps_done)
    return max(1, -(-steps // max(steps_per_epoch, 1)))


@dataclass(frozen=True)
class TrainOptions:
    """What the train dialog asks; backbone_weights: "imagenet", "none" or a file path.
    patience: in the schedule's unit (steps for auto, epochs for paper); None = its default.
    time_limit: minutes; None = the schedule's (on a CPU; none on a GPU)."""

    folder: Path
    name: str
    classes: tuple[str, ...]
    epochs: int = DEFAULT_EPOCHS
    schedule: str = DEFAULT_SCHEDULE
    patience: int | None = None
    time_limit: float | None = None  # minutes; None: the schedule's on a CPU, none on a GPU
    image_size: int = DEFAULT_IMAGE_SIZE
    device: str = DEFAULT_DEVICE
    backbone_weights: str = DEFAULT_BACKBONE_WEIGHTS
    batch_size: int = DEFAULT_BATCH_SIZE
    pixel_cue: bool | None = None  # samic train --[no-]pixel-cue; None: the schedule's


@dataclass(frozen=True)
class ModelInfo:
    """One trained model as listed in the app: its file and the metadata the file carries
    (samic_core's ModelMeta as it is, read without torch: `ModelInfo.read`)."""

    path: Path
    meta: ModelMeta

    @classmethod
    def read(cls, path: Path) -> ModelInfo:
        """The model file's metadata, without torch and without reading the weights
        (CheckpointError when the file is not a readable SAMIC model)."""
        return cls(Path(path), read_model_meta(path))

    @property
    def name(self) -> str:
        return self.path.name[: -len(MODEL_SUFFIX)]

    @property
    def classes(self) -> tuple[str, ...]:
        return self.meta.classes

    @property
    def created_local(self) -> str:
        """`YYYY-mm-dd HH:MM` in local time (the raw value when it does not parse)."""
        try:
            created = datetime.fromisoformat(self.meta.created)
            return created.astimezone().strftime("%Y-%m-%d %H:%M")
        except (ValueError, OverflowError, OSError):  # a date the platform cannot convert
            return self.meta.created


@dataclass(frozen=True)
class UnreadableModel:
    """A file in the models folder that cannot be used as a model, and why (in plain words);
    listed greyed out, so one damaged file neither hides the others nor passes unnoticed."""

    path: Path
    reason: str

    @property
    def name(self) -> str:
        return self.path.name[: -len(MODEL_SUFFIX)]


@dataclass(frozen=True)
class TrainOutcome:
    """How a training run ended; `model` is None when no epoch completed."""

    model: ModelInfo | None
    cancelled: bool
    epochs_run: int
    history: tuple[tuple[int, float, float | None], ...] = ()  # (epoch, train, val)


@dataclass(frozen=True)
class AutoAnnotateRequest:
    """Which images to annotate with which model, class and references.

    references: image names in the project folder whose objects of `label` show the model what
    to look for; target_folder: where the images are (the project folder, or another one).
    all_classes: when set, every one of these classes is predicted in one pass over the images,
    each with its default references (`label` and `references` are then not used).
    """

    model: Path
    label: str
    images: tuple[Path, ...]
    target_folder: Path
    reference_folder: Path
    references: tuple[str, ...]
    device: str = DEFAULT_DEVICE
    one_prompt: bool = False
    peaks: str = DEFAULT_PEAK_CHOICE  # samic_core.config.PEAK_CHOICES: heat maps -> prompts
    all_classes: tuple[str, ...] = ()


@dataclass(frozen=True)
class AutoAnnotateOutcome:
    """Per-image results of a batch: names written, skipped (manual) and without objects."""

    written: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    empty: tuple[str, ...] = ()
    failed: tuple[tuple[str, str], ...] = ()  # (image, message)
    cancelled: bool = False
    objects: int = 0  # objects written in total

    def summary(self) -> str:
        parts = [
            f"{_count(len(self.written), 'image')} annotated ({_count(self.objects, 'object')})"
        ]
        if self.empty:
            parts.append(f"{len(self.empty)} with nothing found")
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped (already annotated by hand)")
        if self.failed:
            parts.append(f"{len(self.failed)} failed")
        return ", ".join(parts) + (" — cancelled" if self.cancelled else "")


def _count(n: int, noun: str) -> str:
    """'1 image', '2 images': the batch summary is read as a sentence."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


@dataclass(frozen=True)
class Suggestion:
    """One suggested object: its prompt points and SAM's mask for them.

    points: ((x, y), ...) positive clicks in original pixels; mask (H, W) bool; low_res
    (1, 256, 256) float32 logits; candidate: SAM's multimask output index, or None.
    """

    points: tuple[tuple[float, float], ...]
    mask: object
    score: float
    low_res: object | None = None
    candidate: int | None = None
    origin: tuple[int, int] = (0, 0)  # where `mask` sits when it is only its rectangle


def training_problems(
    counts: dict[str, tuple[int, int]], selected: list[str], min_images: int
) -> list[str]:
    """Why training cannot start with these classes (empty when it can), in plain words.

    counts: class -> (annotated images, objects) as training would use them.
    """
    if not counts:
        return [
            f"No annotated images to train on yet. Annotate at least {min_images} images of "
            "each class by hand (or review predicted ones), then train."
        ]
    if not selected:
        return ["Choose at least one class to train on."]
    problems = []
    for c in selected:
        n = counts.get(c, (0, 0))[0]
        if n < min_images:
            image_s = "image" if n == 1 else "images"
            problems.append(
                f"Class {c!r} has {n} annotated {image_s}; at least {min_images} are needed "
                f"(one as the reference, one as the target). Annotate {min_images - n} more."
            )
    return problems


NBSP = "\u00a0"


def format_duration(seconds: float | None) -> str:
    """'about 2 min 05 s' style; 'estimating…' when unknown.

    A number and its unit are joined by a no-break space (NBSP): the wrapped time-left label
    read "about 12" / "s (to epoch 5)" on two lines."""
    if seconds is None or seconds != seconds:  # None or NaN
        return "estimating…"
    s = max(0, round(seconds))
    if s < 60:
        return f"about {s}{NBSP}s"
    m, s = divmod(s, 60)
    if m < 60:
        return f"about {m}{NBSP}min {s:02d}{NBSP}s"
    h, m = divmod(m, 60)
    return f"about {h}{NBSP}h {m:02d}{NBSP}min"


def time_left_text(
    epoch: int,
    epochs: int,
    step: int,
    steps: int,
    eta_s: float | None,
    patience: int,
    limit_left_s: float | None = None,
) -> str:
    """Training's time left as the honest range it is.

    eta_s runs to the epoch limit; early stopping ends a run once the loss has not improved for
    `patience` more epochs (see patience_in_epochs), which can happen any time (often long
    before the limit).
    So: the shortest (the loss stops improving from now on) and the longest (every epoch runs,
    or the time limit ends the run first: `limit_left_s`, the limit's seconds still left).
    """
    remaining_steps = (epochs - epoch) * steps + (steps - step)
    if eta_s is None or eta_s != eta_s or remaining_steps <= 0:
        return "Time left: estimating…" if remaining_steps > 0 else "Time left: finishing…"
    per_epoch = eta_s / remaining_steps * steps
    soonest = per_epoch * min(patience, epochs - epoch) + (steps - step) * per_epoch / steps
    end = f"to epoch{NBSP}{epochs}"
    if limit_left_s is not None and limit_left_s < eta_s:
        eta_s, end = max(limit_left_s, 0.0), "the time limit"
        soonest = min(soonest, eta_s)
    if soonest >= eta_s * 0.9:
        return f"Time left: {format_duration(eta_s)} ({end})"
    return (
        f"Time left: {format_duration(soonest)} if the loss stops improving, "
        f"at most {format_duration(eta_s).removeprefix('about ')} ({end})"
    )
