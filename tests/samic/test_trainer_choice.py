"""How a run chooses its best epoch and when it ends: the validation images' peak score, the
loss on a tie, and the time limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from samic_core.errors import SamicError
from samic_core.modelfile.meta import read_model_meta
from samic_core.testing.multi_instance import write_folder
from samic_core.train.schedule import SCHEDULES, Stopper, better_epoch, resolve_schedule
from samic_core.train.trainer import train


def test_the_peak_score_chooses_the_epoch_and_the_loss_breaks_ties() -> None:
    assert better_epoch(0.8, 2.0, best_score=0.7, best_loss=1.0)  # more found, higher loss
    assert not better_epoch(0.6, 0.5, best_score=0.7, best_loss=1.0)
    assert better_epoch(0.7, 0.9, best_score=0.7, best_loss=1.0)  # a tie: the lower loss
    assert not better_epoch(0.7, 1.1, best_score=0.7, best_loss=1.0)
    assert better_epoch(None, 0.9, best_score=None, best_loss=1.0)  # no score: the loss
    assert better_epoch(0.0, 5.0, best_score=None, best_loss=None)  # the first epoch


def test_a_rising_peak_score_keeps_a_run_going_while_its_loss_is_flat() -> None:
    sched = resolve_schedule("auto", patience=30)
    stop = Stopper(sched)
    for i in range(sched.min_steps // 10 + 5):  # flat loss, the score still rising
        stop.update(1.0, 1.0, steps=10, score=0.1 + 0.001 * i)
        assert not stop.should_stop()
    for _ in range(3):  # both flat: stops after `patience` steps
        stop.update(1.0, 1.0, steps=10, score=0.0)
    assert stop.should_stop()
    assert "peak score" in stop.reason()
    again = Stopper(SCHEDULES["auto"])
    again.load_state(stop.state())
    assert again.state() == stop.state()
    old = {k: v for k, v in stop.state().items() if k not in ("best_score", "score_at")}
    again.load_state(old)  # a file from before the score: the loss alone decides
    assert again.best_score == float("-inf")


def test_time_limit_stops_before_an_epoch_would_end_past_it(
    synthetic_folder: Path, tiny_train_config, tmp_path: Path
) -> None:
    tiny_config = tiny_train_config
    """A run whose next epoch would end past --time-limit stops there, with its best file."""
    out = tmp_path / "m.pt"
    events = []
    result = train(tiny_config(synthetic_folder, out, epochs=5, time_limit=1e-6), events.append)
    assert result.epochs_run == 1 and not result.cancelled
    assert result.stop_reason.startswith("time limit")
    assert events and all(e.limit_left_s is not None and e.limit_left_s < 0.01 for e in events)
    assert result.best_path == out and out.is_file()
    unlimited = train(tiny_config(synthetic_folder, tmp_path / "n.pt", epochs=2, time_limit=0))
    assert unlimited.epochs_run == 2  # 0: no limit, even on the auto schedule's default
    assert unlimited.stop_reason == "epoch limit (2)"
    with pytest.raises(SamicError, match="time limit"):
        train(tiny_config(synthetic_folder, tmp_path / "o.pt", time_limit=-1))


def test_the_best_epoch_is_the_one_whose_validation_peaks_score_best(
    tiny_train_config, tmp_path: Path
) -> None:
    """With BCE (auto schedule), each epoch's validation peaks are scored; the best file is the
    epoch with the highest smoothed score, the lower validation loss on a tie, and its peak rule
    is the one fitted at that epoch."""
    folder = tmp_path / "many"
    write_folder(folder, 8, seed=3)  # 5-15 objects an image: enough validation objects to score
    out = tmp_path / "m.pt"
    events = []
    result = train(
        tiny_train_config(folder, out, epochs=4, schedule="auto", time_limit=0), events.append
    )
    scored = [h for h in result.history if "val_score" in h]
    assert len(scored) == len(result.history) == 4
    smoothed, ema = [], None
    for h in scored:  # the auto schedule's smoothing: one lucky epoch moves it by 30 %
        a = SCHEDULES["auto"].smoothing
        ema = h["val_score"] if ema is None else a * h["val_score"] + (1 - a) * ema
        smoothed.append((ema, -h["val_loss"], -h["epoch"]))
    best = scored[smoothed.index(max(smoothed))]
    meta = read_model_meta(out)
    assert meta.best_epoch == best["epoch"] == result.best_epoch
    assert events[-1].best_epoch == best["epoch"]  # what the app's plot marks as it goes
    assert meta.peak_rule is not None
    assert meta.peak_rule["val_recall"] == pytest.approx(best["val_recall"], abs=1e-4)
    assert meta.peak_rule["val_precision"] == pytest.approx(best["val_precision"], abs=1e-4)


def test_a_scored_run_resumes_exactly(tiny_train_config, tmp_path: Path) -> None:
    """The auto schedule's score state (smoothed score, its best, when) survives --resume:
    2 epochs + 1 resumed give the scores, best epoch and peak rule of 3 straight."""
    folder = tmp_path / "many"
    write_folder(folder, 8, seed=3)
    kw = dict(schedule="auto", time_limit=0)
    straight = train(tiny_train_config(folder, tmp_path / "a.pt", epochs=3, **kw))
    train(tiny_train_config(folder, tmp_path / "b.pt", epochs=2, **kw))
    resumed = train(
        tiny_train_config(folder, tmp_path / "b.pt", epochs=3, resume=tmp_path / "b.last.pt", **kw)
    )
    scores = [h["val_score"] for h in straight.history]
    assert [h["val_score"] for h in resumed.history] == pytest.approx(scores)
    assert resumed.best_epoch == straight.best_epoch
    a, b = read_model_meta(tmp_path / "a.pt"), read_model_meta(tmp_path / "b.pt")
    assert (a.best_epoch, a.peak_rule) == (b.best_epoch, b.peak_rule)
