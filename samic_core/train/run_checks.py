"""Checks of a training run before it starts: its config, its output files, and what a resumed
run takes over from the file it resumes (schedule, architecture, flips, erased copies)."""

from __future__ import annotations

import dataclasses
import logging
import shutil
from pathlib import Path
from typing import Any

from samic_core.errors import SamicError
from samic_core.fileio import atomic_path
from samic_core.model.learner import SQUEEZE_DEPTHS
from samic_core.model.samic_net import check_image_size
from samic_core.modelfile.file import ModelMeta, best_path_for, last_path_for, read_model_file
from samic_core.modelfile.meta import MAX_EPOCHS, MAX_IMAGE_SIZE, read_model_meta
from samic_core.train.config import TrainConfig
from samic_core.train.losses import check_loss_terms
from samic_core.train.schedule import SCHEDULES, Schedule, resolve_schedule
from samic_core.train.train_state import TrainState

log = logging.getLogger(__name__)


def check_config(config: TrainConfig) -> None:
    """Refuse settings no run can use, before anything is read or built."""
    if config.schedule not in SCHEDULES:
        raise SamicError(f"unknown schedule {config.schedule!r}; use one of {tuple(SCHEDULES)}")
    patience_ok = config.patience is None or config.patience >= 1
    if config.epochs < 1 or config.batch_size < 1 or not patience_ok:
        raise SamicError("epochs, batch size and patience must be at least 1")
    if config.epochs > MAX_EPOCHS:
        raise SamicError(f"epochs must be at most {MAX_EPOCHS:,} (a model file holds no more)")
    if not config.lr > 0:
        raise SamicError(f"learning rate must be positive, got {config.lr}")
    if config.time_limit is not None and not 0 <= config.time_limit < 10**6:
        raise SamicError(
            f"time limit must be 0 (none) or a positive number of minutes, got {config.time_limit}"
        )
    check_image_size(config.image_size)
    if config.image_size > MAX_IMAGE_SIZE:  # model files larger than this are refused on read
        raise SamicError(f"image size must be at most {MAX_IMAGE_SIZE}, got {config.image_size}")
    try:
        if config.loss_terms is not None:
            check_loss_terms(config.loss_terms)
    except ValueError as e:
        raise SamicError(str(e)) from e
    if config.squeeze_depth not in SQUEEZE_DEPTHS:
        raise SamicError(
            f"squeeze depth must be one of {SQUEEZE_DEPTHS}, got {config.squeeze_depth}"
        )
    drop = config.pixel_cue_drop
    if drop is not None and not 0 <= drop < 1:
        raise SamicError(f"pixel cue drop must be at least 0 and below 1, got {drop}")


def with_schedule_defaults(config: TrainConfig, schedule: Schedule) -> TrainConfig:
    """The config with the schedule's flips, jitter, cues and erased copies where it leaves
    them open (recorded in the model file as what was used); erased copies only train the
    presence gate, so without one there are none."""
    if config.flips is None:
        config = dataclasses.replace(config, flips=schedule.flips)
    if config.presence is None:
        config = dataclasses.replace(config, presence=schedule.presence)
    if config.appearance is None:
        config = dataclasses.replace(config, appearance=schedule.appearance)
    if config.pixel_cue_drop is None:
        config = dataclasses.replace(config, pixel_cue_drop=schedule.pixel_cue_drop)
    if config.pixel_cue is None:
        config = dataclasses.replace(config, pixel_cue=schedule.pixel_cue)
    if not config.pixel_cue:
        config = dataclasses.replace(config, pixel_cue_drop=0.0)
    if config.erase is None:
        config = dataclasses.replace(config, erase=schedule.erase)
    if config.average is None:
        config = dataclasses.replace(config, average=schedule.average)
    if config.jitter is None:  # the variants keep the pixel cue general; without it, unmeasured
        config = dataclasses.replace(config, jitter=schedule.jitter and bool(config.pixel_cue))
    if config.erase and not config.presence:
        log.warning("erased copies train the presence gate only; without one: no copies")
        config = dataclasses.replace(config, erase=False)
    return config


def check_outputs(config: TrainConfig, best: Path, last: Path) -> None:
    """A fresh run never replaces model files unless told to (--overwrite)."""
    if config.resume is not None or config.overwrite:
        return
    for p in (best, last):
        if p.exists():
            raise SamicError(
                f"{p}: already exists; choose another --out, resume with --resume {last}, "
                f"or pass --overwrite"
            )


def as_resumed(config: TrainConfig, asked: TrainConfig, meta: ModelMeta) -> TrainConfig:
    """A resumed run keeps the flips, jitter, erased copies and weight average it was started
    with unless told otherwise; the weights decide whether there is a presence gate and the
    cues."""
    for name in ("presence", "appearance", "pixel_cue"):
        wanted, had = getattr(asked, name), getattr(meta, name)
        if wanted is not None and wanted != had:
            raise SamicError(
                f"{config.resume}: was trained with {name} = {had}; cannot resume "
                f"with {name} = {wanted}"
            )
    started = meta.config
    return dataclasses.replace(
        config,
        tile=started.get("tile", "off") if asked.tile == "auto" else config.tile,
        flips=bool(started.get("flips", False)) if asked.flips is None else config.flips,
        erase=bool(started.get("erase", False)) if asked.erase is None else config.erase,
        average=bool(started.get("average", False)) if asked.average is None else config.average,
        jitter=bool(started.get("jitter", False)) if asked.jitter is None else config.jitter,
        pixel_cue_drop=(
            0.0
            if not meta.pixel_cue
            else float(started.get("pixel_cue_drop") or 0.0)  # the file's config is checked
            if asked.pixel_cue_drop is None
            else asked.pixel_cue_drop  # not `config`'s: zeroed there while the cue was unknown
        ),
        presence=meta.presence,
        appearance=meta.appearance,
        pixel_cue=meta.pixel_cue,
    )


def resume_state(config: TrainConfig) -> tuple[ModelMeta, TrainState, dict[str, Any]]:
    """What a resumed run starts from: the file's metadata, its validated training state and
    its learner weights; SamicError when the file cannot continue this run."""
    path = Path(config.resume)  # type: ignore[arg-type]
    content = read_model_file(path)  # validated, read once
    meta = content.meta
    if content.train_state is None:
        raise SamicError(
            f"{path}: has no training state (a best-model file); resume from "
            f"{last_path_for(path)} instead"
        )
    state = TrainState.from_dict(content.train_state, path)
    trained_with = meta.config.get("schedule", "paper")  # files from before schedules: paper
    if trained_with != config.schedule:
        raise SamicError(
            f"{path}: was trained with the {trained_with!r} schedule; resume with --schedule "
            f"{trained_with}"
        )
    for key, want in (
        ("backbone", config.backbone),
        ("image_size", config.image_size),
        ("output", config.output),
        ("support_resize", config.support_resize),
        ("squeeze_depth", config.squeeze_depth),
        ("loss_terms", resolve_schedule(config.schedule, None, config.loss_terms).loss_terms),
    ):
        if getattr(meta, key) != want:
            terms = ",".join(meta.loss_terms)
            hint = f" (pass --loss-terms {terms})" if key == "loss_terms" else ""
            raise SamicError(
                f"{path}: was trained with {key} = {getattr(meta, key)!r}; cannot resume "
                f"with {want!r}{hint}"
            )
    return meta, state, content.state_dict


def adopt_resumed_best(
    resumed_from: Path, meta: ModelMeta, best_epoch: int, best_loss: float, best: Path
) -> bool:
    """Make `best` hold the resumed epochs' best model: the one the earlier run wrote beside
    its ".last" file (model.pt beside model.last.pt), copied when --out names another file.
    False when that file is gone or holds another model (then nothing is written)."""
    source = best_path_for(resumed_from)
    try:
        found = read_model_meta(source) if source is not None else None
    except SamicError:
        found = None
    if source is None or found is None:
        log.warning("%s: the best model of the resumed epochs is not there", resumed_from)
        return False
    loss = found.val_loss if found.val_loss is not None else found.train_loss
    same = (found.epochs_run, loss, found.backbone_sha256, found.classes) == (
        best_epoch, best_loss, meta.backbone_sha256, meta.classes
    )  # fmt: skip
    if not same:
        log.warning("%s: holds another model than the resumed epochs' best", source)
        return False
    if source.resolve() != best.resolve():
        with atomic_path(best, clean_stale=True) as tmp:
            shutil.copyfile(source, tmp)
    return True
