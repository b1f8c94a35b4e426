"""samic_core.config: one place for the vocabularies and defaults the CLI and the app share."""

from __future__ import annotations

import argparse
import inspect
import subprocess
import sys

from samic_core import config
from samic_core.cli.options import add_sam_options
from samic_core.device import DEVICE_CHOICES
from samic_core.sam.cache import EmbeddingCache
from samic_core.sam.registry import MODELS
from samic_core.sam.weights import resolve_checkpoint


def test_config_imports_without_torch() -> None:
    code = "import sys, samic_core.config; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_core_modules_use_the_config_vocabularies() -> None:
    assert DEVICE_CHOICES == config.DEVICES == ("auto", "cpu", "cuda")
    assert tuple(MODELS) == config.SAM_MODEL_TYPES  # every model type has a registry row
    assert ("auto", *config.SAM_MODEL_TYPES) == config.MODEL_TYPE_CHOICES
    dtype = inspect.signature(EmbeddingCache).parameters["dtype"].default
    assert dtype == config.DEFAULT_CACHE_DTYPE


def test_cli_defaults_come_from_config() -> None:
    p = argparse.ArgumentParser()
    add_sam_options(p)
    args = p.parse_args([])
    assert args.model_type == config.DEFAULT_MODEL_TYPE == "auto"
    assert args.device == config.DEFAULT_DEVICE
    assert args.cache_dtype == config.DEFAULT_CACHE_DTYPE
    assert args.precision == config.DEFAULT_PRECISION == "fp32"  # the shared cache's precision
    for option, choices in (
        ("--device", config.DEVICES),
        ("--model-type", config.MODEL_TYPE_CHOICES),
        ("--cache-dtype", config.CACHE_DTYPES),
        ("--precision", config.PRECISION_CHOICES),
    ):
        action = next(a for a in p._actions if option in a.option_strings)
        assert tuple(action.choices) == choices


def test_schedules_and_peak_rules_are_the_configs() -> None:
    """Which schedules and peak rules exist, and when a schedule stops, is written in config."""
    from samic_core import peaks
    from samic_core.cli.train import register
    from samic_core.train.schedule import SCHEDULES

    assert tuple(SCHEDULES) == config.TRAIN_SCHEDULES
    for name, stop in config.EARLY_STOP.items():
        s = SCHEDULES[name]
        assert (s.unit, s.patience, s.min_steps) == (stop.unit, stop.patience, stop.min_steps)
    assert peaks.PEAK_METHODS is config.PEAK_METHODS == ("nms", "paper")
    assert ("model", *config.PEAK_METHODS) == config.PEAK_CHOICES
    assert peaks.PeakRule().method in config.PEAK_METHODS
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    train = parser._subparsers._group_actions[0].choices["train"]
    action = next(a for a in train._actions if "--schedule" in a.option_strings)
    assert tuple(action.choices) == config.TRAIN_SCHEDULES
    assert action.default == config.DEFAULT_SCHEDULE


def test_auto_model_type_looks_up_the_downloaded_vit_b(isolated_user_cache) -> None:
    assert config.download_type("auto") == "vit_b"
    assert config.download_type("vit_h") == "vit_h"
    from samic_core.sam.weights import KNOWN_CHECKPOINTS

    path = KNOWN_CHECKPOINTS["vit_b"].default_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    assert resolve_checkpoint(None, "auto") == path


def test_app_settings_fall_back_to_the_config_defaults(tmp_path) -> None:
    from sambox.settings import AppSettings

    s = AppSettings.from_file(tmp_path / "s.ini")
    assert (s.model_type, s.device, s.cache_dtype) == (
        config.DEFAULT_MODEL_TYPE,
        config.DEFAULT_DEVICE,
        config.DEFAULT_CACHE_DTYPE,
    )
    s.q.setValue("sam/device", "tpu")  # unknown values read as the default
    assert s.device == config.DEFAULT_DEVICE
    from sambox.model.samic_info import TrainOptions

    o = TrainOptions(tmp_path, "m", ("a",))
    assert (o.epochs, o.image_size, o.batch_size) == (
        config.DEFAULT_EPOCHS,
        config.DEFAULT_IMAGE_SIZE,
        config.DEFAULT_BATCH_SIZE,
    )


def test_one_cancelled_exception_across_core_and_app() -> None:
    from sambox.services.workers import Cancelled as WorkerCancelled
    from samic_core import jobs
    from samic_core.export.common import Cancelled as ExportCancelled

    assert ExportCancelled is jobs.Cancelled and WorkerCancelled is jobs.Cancelled
