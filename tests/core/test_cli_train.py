"""`samic train` without --out writes where the SAMBOX app lists models; its progress bar counts
whole epochs."""

from __future__ import annotations

import io
import re
from datetime import datetime
from pathlib import Path

from samic_core.cli.main import build_parser
from samic_core.cli.train import TrainBar, config_from_args, summary
from samic_core.train.config import TrainProgress, TrainResult


def _config(*argv: str):
    return config_from_args(build_parser().parse_args(["train", *argv]))


def test_without_out_the_model_goes_where_the_app_lists_models(tmp_path: Path) -> None:
    from sambox.model import samic_info
    from samic_core.annotation import layout

    assert samic_info.default_model_name is layout.default_model_name  # one naming rule
    folder = tmp_path / "photos"
    out = Path(_config(str(folder)).out)
    annotations = folder / "annotations"
    assert out.parent == samic_info.models_dir(annotations)
    assert re.fullmatch(r"samic-\d{8}-\d{4}(-\d+)?\.samic", out.name), out.name
    out.parent.mkdir(parents=True)
    out.write_bytes(b"")
    assert samic_info.model_files(annotations) == [out]
    assert Path(_config(str(folder)).out) != out  # a second run never takes the same name


def test_default_name_counts_up_when_taken(tmp_path: Path) -> None:
    from samic_core.annotation.layout import default_model_name, model_path

    now = datetime(2025, 1, 2, 3, 4)
    assert default_model_name(tmp_path, now) == "samic-20250102-0304"
    model_path(tmp_path, "samic-20250102-0304").parent.mkdir(parents=True)
    model_path(tmp_path, "samic-20250102-0304").write_bytes(b"")
    assert default_model_name(tmp_path, now) == "samic-20250102-0304-2"
    # a model whose best file was deleted keeps its '.last' file: a new run would refuse it
    (tmp_path / "models" / "samic-20250102-0304-2.last.samic").write_bytes(b"")
    assert default_model_name(tmp_path, now) == "samic-20250102-0304-3"


def test_out_keeps_any_suffix_and_resume_continues_its_own_files(tmp_path: Path) -> None:
    assert Path(_config("f", "--out", "m.pt").out) == Path("m.pt")
    resumed = _config("f", "--resume", str(tmp_path / "cells.last.samic"))
    assert Path(resumed.out) == tmp_path / "cells.samic"


def test_summary_says_where_the_model_was_written(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    config = _config(str(folder))
    best = Path(config.out)
    result = TrainResult(best, best.with_name(best.stem + ".last.samic"), 3, 0.25, 0.3)
    text = summary(result, config)
    assert f"best loss 0.2500: {best}\n" in text
    assert "model written to" in text and "SAMBOX" in text


def test_summary_counts_one_epoch_in_the_singular(tmp_path: Path) -> None:
    config = _config(str(tmp_path / "photos"))
    best = Path(config.out)
    text = summary(TrainResult(best, None, 1, 0.25, 0.3), config)
    assert text.startswith("1 epoch, best loss") and "1 epochs" not in text


def _progress(epoch: int, step: int, steps: int = 13, epochs: int = 300) -> TrainProgress:
    return TrainProgress(epoch, epochs, step, steps, 0.5, None, None, 1.0, None)


def test_progress_bar_counts_whole_epochs() -> None:
    stream = io.StringIO()
    bar = TrainBar(file=stream)
    assert stream.getvalue() == ""  # nothing drawn before training reports anything
    bar(_progress(6, 1))
    bar(_progress(6, 13))
    bar.close()
    text = stream.getvalue()
    assert "5/300" in text and "6/300" in text
    assert re.search(r"\d\.\d+/300", text) is None, text  # no fractional epochs
    assert "step 1/13" in text


def test_time_limit_reaches_the_config_and_zero_lifts_it(tmp_path: Path) -> None:
    folder = str(tmp_path / "photos")
    assert _config(folder).time_limit is None  # the schedule's (auto: 14 minutes)
    assert _config(folder, "--time-limit", "3").time_limit == 3.0
    assert _config(folder, "--time-limit", "0").time_limit == 0.0
