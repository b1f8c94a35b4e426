"""Training loop: Adam on the learner, a schedule that stops when learning stops, best + last files.

The same `train` function serves the CLI (tqdm through `progress`) and the app (progress bar and
Cancel through `progress` and `should_stop`). Paper section 4.2: Adam, lr 1e-3, batch 4, up to
300 epochs, stop when the training loss has not improved for 10 epochs (`schedule="paper"`).
The default schedule (`"auto"`, measured in docs/model.md) draws more reference/target pairs
per epoch, counts patience in optimizer steps on a smoothed loss, adds the BCE term and trains
on images the annotator finished without the object as empty targets. The paper's ablations
(tables 5 and 6: `squeeze_depth`, `loss_terms`) are recorded in the model file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import time
from pathlib import Path
from typing import Any

import torch

from samic_core.device import resolve_device
from samic_core.errors import SamicError
from samic_core.jobs import ShouldStop
from samic_core.model.build import build_samic
from samic_core.modelfile.file import ModelMeta, last_path_for, save_model_file
from samic_core.train.augment import VARIANTS
from samic_core.train.averaging import WeightAverage
from samic_core.train.config import TrainConfig, TrainProgress, TrainProgressFn, TrainResult
from samic_core.train.cue_choice import choose_pixel_cue, drop_rng
from samic_core.train.episodes import (
    MIN_IMAGES_PER_CLASS,
    TrainingEpisode,
    count_training_data,
    train_episodes,
)
from samic_core.train.epoch import history_entry, train_epoch
from samic_core.train.erase import gate_episodes
from samic_core.train.features import EpisodeTensors, FeatureBank
from samic_core.train.folder_data import read_folder_data
from samic_core.train.optim import adam, deterministic
from samic_core.train.peak_fit import PeakFit, fit_start, score_peaks, stored_rule
from samic_core.train.run_checks import (
    adopt_resumed_best,
    as_resumed,
    check_config,
    check_outputs,
    resume_state,
    with_schedule_defaults,
)
from samic_core.train.schedule import SCHEDULES, Schedule, Stopper, better_epoch, resolve_schedule
from samic_core.train.step import batch_loss, batches
from samic_core.train.tile_fit import fit_on_whole_images
from samic_core.train.train_state import TrainState, restore_optimizer, restore_weights

log = logging.getLogger(__name__)

# The `.last` file (weights + optimizer state: Adam's two moments per weight) is written after
# the first epoch, then at most every this many seconds, and at the end: writing it every epoch
# would dominate short epochs.
# A crash or a cancel mid-run loses at most this much training on --resume.
LAST_SAVE_INTERVAL_S = 30.0

__all__ = ["MIN_IMAGES_PER_CLASS", "SCHEDULES", "Schedule", "TrainConfig", "TrainProgress",
           "TrainResult", "batch_loss", "count_training_data", "train"]  # fmt: skip


class _Trainer:
    """One run's state; `train` below is the public entry point."""

    def __init__(self, config: TrainConfig) -> None:
        self.started = time.perf_counter()  # the time limit counts from here
        check_config(config)
        self.schedule: Schedule = resolve_schedule(
            config.schedule, config.patience, config.loss_terms, config.time_limit
        )
        asked = config
        config = with_schedule_defaults(config, self.schedule)
        resume = resume_state(config) if config.resume is not None else None
        if resume is not None:
            config = as_resumed(config, asked, resume[0])
        self.config = config
        self.best_path = Path(config.out)
        self.last_path = last_path_for(self.best_path)
        check_outputs(config, self.best_path, self.last_path)
        self.device = resolve_device(config.device)
        if config.time_limit is None and self.device.type != "cpu":  # the limit is for CPUs
            self.schedule = dataclasses.replace(self.schedule, time_limit_min=None)
        self.data = read_folder_data(config, self.schedule)
        self.config = config = self.data.config

        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)  # learner init depends on the seed only
            self.net, self.identity = build_samic(
                config.architecture,
                weights=config.backbone_weights,
                expected_sha256=resume[0].backbone_sha256 if resume else None,
            )
        self.net.to(self.device)
        self.net.pixel_cue_drop = float(config.pixel_cue_drop or 0.0)
        self.optimizer = adam(self.net, config.lr)
        self.average = WeightAverage(self.net.learner) if config.average else None
        self.start_epoch = 1
        self.history: list[dict[str, Any]] = []
        self.best_loss: float | None = None
        self.best_epoch: int | None = None
        self.stopper = Stopper(self.schedule)
        self.best_ready = False  # best_path holds this run's best model
        self.best_weights: dict[str, torch.Tensor] | None = None  # written by this run
        self.best_meta: ModelMeta | None = None
        self.best_score: float | None = None  # the best epoch's peak score (None: not scored)
        self.best_fit: PeakFit | None = None  # the best epoch's fitted peak rule, this run
        self.resumed: tuple[Path, ModelMeta] | None = None
        if resume is not None:
            meta, state, weights = resume
            path = Path(config.resume)  # type: ignore[arg-type]
            restore_weights(self.net.learner, weights, path)
            restore_optimizer(self.optimizer, state.optimizer, path)
            if self.average is not None:  # a file without one: the average starts here
                if state.average is not None:
                    self.average.load_state(state.average, path)
                else:
                    self.average = WeightAverage(self.net.learner)
            self.start_epoch = state.epoch + 1
            self.history = list(state.history)
            self.best_loss = state.best_loss
            self.best_epoch = state.best_epoch
            self.stopper.load_state(state.stopper)
            if self.stopper.best_score > -math.inf:  # the best epoch is the best-scored one
                self.best_score = self.stopper.best_score
            self.resumed = (path, meta)

    def adopt_resumed_best(self) -> None:
        """A resumed run's best file must hold the best model of all its epochs (see
        run_checks.adopt_resumed_best); when it cannot, the best is chosen again among the
        epochs this run trains, and the first one completed writes best_path."""
        if self.resumed is None or self.best_epoch is None or self.best_loss is None:
            return
        resumed_from, meta = self.resumed
        if adopt_resumed_best(resumed_from, meta, self.best_epoch, self.best_loss, self.best_path):
            self.best_ready = True
        else:
            self.best_loss = self.best_epoch = None

    def choose_pixel_cue(self, tensors: EpisodeTensors, bank: FeatureBank) -> None:
        """A run that dropped the pixel cue on a share of its samples keeps it in the best file
        only where the validation prompts score higher with it (train/cue_choice.py)."""
        weights, fit, meta = self.best_weights, self.best_fit, self.best_meta
        if not (self.config.pixel_cue and self.config.pixel_cue_drop):
            return
        if weights is None or meta is None or fit is None:
            return  # not written by this run, or not scored (too few validation objects)
        score = lambda: self.peak_score(tensors, bank)  # noqa: E731  # the validation prompts
        chosen = choose_pixel_cue(self.net, weights, fit, meta, score)
        if chosen is not None:
            self.best_weights, self.best_fit, self.best_meta = chosen
            save_model_file(self.best_path, self.net, self.best_meta)

    def fit_peak_rule(self, stop: ShouldStop) -> None:
        """Store the best model's peak rule in the best file, only where its output floor means
        "nothing here" (trained with BCE) and this run wrote the best file. A model of whole
        images keeps the fit of its best epoch's validation targets, or where they hold too few
        objects the fit's start (train/peak_fit.py); a model of tiles is fitted now on
        the validation images whole, as prediction sees them (train/tile_fit.py)."""
        if self.best_weights is None or self.best_meta is None:
            return
        if "bce" not in self.schedule.loss_terms:
            log.info("peak rule: not fitted (no BCE: the output has no floor that means nothing)")
            return
        self.net.learner.load_state_dict(self.best_weights)
        fit, tile = self.best_fit, self.config.tile
        if isinstance(tile, int):  # not the tiles' fit: each tile thresholded on its own
            data = self.data
            fit = fit_on_whole_images(self.net, data.originals, data.split, tile, stop)
            if fit is None:
                log.info("peak rule: the default kept (too few validation objects, or cancelled)")
                return
        rule = stored_rule(fit, fit_start(self.net))
        log.info("peak rule %s: %s", "fitted" if fit else "not fitted (too few objects)", rule)
        meta = dataclasses.replace(self.best_meta, peak_rule=rule)
        save_model_file(self.best_path, self.net, meta)

    def meta(self, epoch: int, train_loss: float | None, val_loss: float | None) -> ModelMeta:
        return ModelMeta(
            classes=tuple(self.data.classes),
            backbone=self.identity.name,
            backbone_weights=self.identity.weights,
            backbone_sha256=self.identity.sha256,
            image_size=self.config.image_size,
            output=self.config.output,
            support_resize=self.config.support_resize,
            learnable_params=sum(p.numel() for p in self.net.learner.parameters()),
            epochs_run=epoch,
            train_loss=train_loss,
            val_loss=val_loss,
            best_epoch=self.best_epoch,
            config=self.config.as_dict(),
            squeeze_depth=self.config.squeeze_depth,
            loss_terms=self.schedule.loss_terms,
            presence=bool(self.config.presence),
            appearance=bool(self.config.appearance),
            pixel_cue=bool(self.config.pixel_cue),
        )

    def peak_score(self, tensors: EpisodeTensors, bank: FeatureBank) -> PeakFit | None:
        """The validation targets' peaks scored (train/peak_fit.py); None when not measured."""
        return score_peaks(
            self.net,
            self.data.images,
            self.data.score_groups,
            tensors,
            bank,
            self.config.batch_size,
        )

    def averaged(self) -> contextlib.AbstractContextManager[None]:
        """The learner holds the weight average inside the block (when the run keeps one)."""
        if self.average is None:
            return contextlib.nullcontext()
        return self.average.applied(self.net.learner)

    def out_of_time(self, epoch_s: float) -> bool:
        """Would one more epoch, as long as the last, end past the schedule's time limit?"""
        left = self.limit_left()
        return left is not None and epoch_s > left

    def limit_left(self) -> float | None:
        """Seconds left of the time limit, counted from the run's start (None: no limit)."""
        limit = self.schedule.time_limit_min
        return None if limit is None else limit * 60 - (time.perf_counter() - self.started)

    def validate(self, tensors: EpisodeTensors, bank: FeatureBank) -> float | None:
        if not self.data.val:
            return None
        self.net.eval()
        total = 0.0
        with torch.no_grad():
            for batch in batches(self.data.val, self.config.batch_size):
                loss, _ = batch_loss(self.net, batch, tensors, bank, self.schedule.loss_terms)
                total += float(loss) * len(batch)
        return total / len(self.data.val)

    def run(
        self,
        progress: TrainProgressFn | None,
        should_stop: ShouldStop | None,
    ) -> TrainResult:
        cfg = self.config
        stop = should_stop or (lambda: False)
        t0 = time.perf_counter()
        variants = VARIANTS if cfg.jitter else 1
        tensors = EpisodeTensors(self.data.images, cfg.image_size, stop, variants, cfg.seed)
        bank = FeatureBank(
            self.net, tensors, self.device, cfg.feature_cache, int(cfg.cache_max_gb * 2**30)
        )
        self.adopt_resumed_best()
        deficits: dict[TrainingEpisode, torch.Tensor] = {}  # gate-only pairs (train/step.py)
        cancelled = stop()
        epochs_run = self.start_epoch - 1
        last_train: float | None = self.history[-1]["train_loss"] if self.history else None
        steps_done = 0
        last_saved = -math.inf  # the first epoch always writes the .last file
        epoch = self.start_epoch
        reason = f"epoch limit ({cfg.epochs})"
        while not cancelled and epoch <= cfg.epochs:
            data = self.data
            episodes = train_episodes(
                data.images, data.split, cfg.seed, epoch, bool(cfg.flips),
                self.schedule.refs_per_target, self.schedule.min_episodes, variants,
            )  # fmt: skip
            if not episodes:
                raise SamicError(f"{cfg.folder}: no training episodes could be formed")
            steps = math.ceil(len(episodes) / cfg.batch_size)
            gate = gate_episodes(
                data.images, data.erased, data.split, cfg.seed, epoch, bool(cfg.flips),
                self.schedule.refs_per_target, steps,
            )  # fmt: skip
            epoch_started = time.perf_counter()
            self.net.pixel_cue_rng = drop_rng(cfg.seed, epoch, self.device)

            def on_step(step: int, running: float, epoch: int = epoch, steps: int = steps) -> None:
                nonlocal steps_done
                steps_done += 1
                if progress is None:
                    return
                elapsed = time.perf_counter() - t0
                remaining = (cfg.epochs - epoch) * steps + (steps - step)
                progress(
                    TrainProgress(
                        epoch, cfg.epochs, step, steps, running,
                        self.history[-1]["val_loss"] if self.history else None,
                        self.best_loss, elapsed, elapsed / steps_done * remaining,
                        self.best_epoch, self.limit_left(),
                    )
                )  # fmt: skip

            losses = train_epoch(
                self.net, self.optimizer, episodes, gate, tensors, bank,
                self.schedule.loss_terms, cfg.batch_size, stop, on_step, deficits, self.average,
            )  # fmt: skip
            if losses is None:  # stopped, also during the epoch's last step: not saved
                cancelled = True
                break
            train_loss = losses.train_loss
            with self.averaged():  # what is validated and saved: the average, where kept
                val_loss = self.validate(tensors, bank)
                fit = self.peak_score(tensors, bank)
            score = None if fit is None else fit.score
            epochs_run = last_train_epoch = epoch
            last_train = train_loss
            self.history.append(
                history_entry(epoch, losses, val_loss, fit, time.perf_counter() - t0)
            )
            self.stopper.update(train_loss, val_loss, steps, score)
            smoothed = self.stopper.smoothed_score  # one lucky epoch moves it a little only
            chosen = val_loss if val_loss is not None else train_loss
            if better_epoch(smoothed, chosen, self.best_score, self.best_loss):
                self.best_loss, self.best_epoch = chosen, epoch
                self.best_score, self.best_fit = smoothed, fit
                self.best_meta = self.meta(epoch, train_loss, val_loss)
                with self.averaged():
                    save_model_file(self.best_path, self.net, self.best_meta)
                    self.best_weights = {
                        k: v.detach().clone() for k, v in self.net.learner.state_dict().items()
                    }
                self.best_ready = True
            epoch_s = time.perf_counter() - epoch_started
            timed_out = self.out_of_time(epoch_s)  # decided once: the .last file and the stop agree
            ending = self.stopper.should_stop() or epoch == cfg.epochs or timed_out
            state = TrainState(
                optimizer=self.optimizer.state_dict(),
                epoch=last_train_epoch,
                history=tuple(self.history),
                best_loss=self.best_loss,
                best_epoch=self.best_epoch,
                stopper=self.stopper.state(),
                average=None if self.average is None else self.average.state(),
            ).to_dict()
            if ending or time.perf_counter() - last_saved >= LAST_SAVE_INTERVAL_S:
                meta = self.meta(epoch, train_loss, val_loss)
                save_model_file(self.last_path, self.net, meta, state)
                last_saved = time.perf_counter()
            if progress is not None:
                elapsed = time.perf_counter() - t0
                progress(
                    TrainProgress(
                        epoch, cfg.epochs, steps, steps, train_loss, val_loss, self.best_loss,
                        elapsed, elapsed / max(steps_done, 1) * (cfg.epochs - epoch) * steps,
                        self.best_epoch, self.limit_left(),
                    )
                )  # fmt: skip
            if self.stopper.should_stop():
                reason = f"early stop: {self.stopper.reason()}"
                break
            if timed_out:
                reason = (
                    f"time limit: {self.schedule.time_limit_min:g} min would pass during the "
                    "next epoch (--time-limit)"
                )
                break
            epoch += 1
        if cancelled:
            reason = "cancelled"
        log.info("training ended after epoch %d: %s", epochs_run, reason)
        self.choose_pixel_cue(tensors, bank)  # also after a stop: the best file is what it is
        self.fit_peak_rule(stop)
        log.info("feature cache: %d hits, %d misses", bank.hits, bank.misses)
        return TrainResult(
            best_path=self.best_path if self.best_ready else None,
            last_path=self.last_path if self.last_path.is_file() else None,
            epochs_run=epochs_run,
            best_val_loss=self.best_loss,
            train_loss=last_train,
            history=list(self.history),
            cancelled=cancelled,
            best_epoch=self.best_epoch,
            stop_reason=reason,
        )


def train(
    config: TrainConfig,
    progress: TrainProgressFn | None = None,
    should_stop: ShouldStop | None = None,
) -> TrainResult:
    """Train a SAMIC model on an annotated folder; see TrainConfig and docs/model.md.

    `progress` is called after every step; `should_stop` is polled between steps, and a stop
    keeps the best and last files of the epochs completed so far.
    """
    with deterministic():
        return _Trainer(config).run(progress, should_stop)
