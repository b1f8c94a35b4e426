"""Training's save and resume under damage: a damaged training state, a full disk while the
model is saved, and a resumed run into a new --out whose epochs never improve."""

from __future__ import annotations

import errno
import math
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from samic_core.cli.main import main
from samic_core.modelfile.file import last_path_for
from samic_core.modelfile.meta import read_model_meta
from samic_core.train import trainer as trainer_mod

TINY = ["--image-size", "64", "--backbone-weights", "none", "--device", "cpu", "--schedule",
        "paper", "--batch-size", "4", "--val-fraction", "0.25"]  # fmt: skip


def _train(folder: Path, out: Path, *extra: str) -> list[str]:
    return ["train", str(folder), "--out", str(out), *TINY, *extra]


def _one_line(text: str) -> str:
    """The one error line of stderr (the rest is the progress bar), and no traceback."""
    lines = [line for line in text.splitlines() if line.startswith("samic ")]
    assert len(lines) == 1 and "Traceback" not in text, text[-3000:]
    return lines[0]


@pytest.fixture
def copied_model(trained_model: Path, tmp_path: Path) -> Path:
    """The session's trained model and its ".last" file, copied as a.pt / a.last.pt."""
    out = tmp_path / "a.pt"
    shutil.copy(trained_model, out)
    shutil.copy(last_path_for(trained_model), last_path_for(out))
    return out


def _set(path: list[Any], value: Any) -> Callable[[dict], None]:
    def change(state: dict) -> None:
        for key in path[:-1]:
            state = state[key]
        if value is KeyError:
            del state[path[-1]]
        else:
            state[path[-1]] = value

    return change


def _grow_first_moment(state: dict) -> None:
    first = next(iter(state["optimizer"]["state"].values()))
    first["exp_avg"] = torch.zeros(3, 3)


def _first_moments(key: str, value: Callable[[torch.Tensor], Any]) -> Callable[[dict], None]:
    """Replace `key` of the first parameter's optimizer state by value(what it holds)."""

    def change(state: dict) -> None:
        first = next(iter(state["optimizer"]["state"].values()))
        first[key] = value(first[key])

    return change


def _add_group(state: dict) -> None:
    groups = state["optimizer"]["param_groups"]
    groups.append(dict(groups[0]))


DAMAGE = {  # (how the training state is damaged, words the error must hold)
    "no epoch": (_set(["epoch"], KeyError), "'epoch': is missing"),
    "epoch as text": (_set(["epoch"], "two"), "'epoch': expected an integer"),
    "history not a list": (_set(["history"], 5), "'history'"),
    "history entry without loss": (_set(["history", 0, "train_loss"], KeyError), "train_loss"),
    "groups as text": (_set(["optimizer", "param_groups"], "x"), "'param_groups'"),
    "lr as text": (_set(["optimizer", "param_groups", 0, "lr"], "fast"), "'lr'"),
    "an extra group": (_add_group, "optimizer state does not fit"),
    "moment of another shape": (_grow_first_moment, "exp_avg"),
    "step count of two numbers": (
        _first_moments("step", lambda _t: torch.tensor([1.0, 2.0])),
        "step count",
    ),
    "step count not finite": (_first_moments("step", lambda _t: torch.tensor(math.nan)), "step"),
    "moments not finite": (
        _first_moments("exp_avg_sq", lambda t: torch.full_like(t, math.nan)),
        "exp_avg_sq",
    ),
    "negative second moments": (
        _first_moments("exp_avg_sq", lambda t: -torch.ones_like(t)),
        "exp_avg_sq",
    ),
    "amsgrad as text": (_set(["optimizer", "param_groups", 0, "amsgrad"], "yes"), "'amsgrad'"),
    "amsgrad without its moments": (
        _set(["optimizer", "param_groups", 0, "amsgrad"], True),
        "max_exp_avg_sq",
    ),
    "stopper counter as text": (_set(["stopper", "best_at"], "x"), "'best_at'"),
    "best loss as text": (_set(["best_loss"], "low"), "'best_loss'"),
    "best epoch after the last": (_set(["best_epoch"], 99), "'best_epoch'"),
    "state not a mapping": (None, "training state is not a mapping"),
}


@pytest.mark.parametrize("case", list(DAMAGE))
def test_resume_from_a_damaged_training_state_is_one_clear_line(
    copied_model: Path, synthetic_folder: Path, tmp_path: Path, capsys, case: str
) -> None:
    change, words = DAMAGE[case]
    data = torch.load(last_path_for(copied_model), weights_only=True)
    if change is None:
        data["train_state"] = [1, 2]
    else:
        change(data["train_state"])
    bad = tmp_path / "bad.last.pt"
    torch.save(data, bad)
    argv = _train(synthetic_folder, tmp_path / "new.pt", "--epochs", "3", "--resume", str(bad))
    assert main(argv) == 2
    err = _one_line(capsys.readouterr().err)
    assert str(bad) in err and words in err, err
    assert not (tmp_path / "new.pt").exists()


def test_resume_from_weights_that_are_not_finite_is_one_clear_line(
    copied_model: Path, synthetic_folder: Path, tmp_path: Path, capsys
) -> None:
    data = torch.load(last_path_for(copied_model), weights_only=True)
    name = next(iter(data["state_dict"]))
    data["state_dict"][name] = torch.full_like(data["state_dict"][name], math.nan)
    bad = tmp_path / "bad.last.pt"
    torch.save(data, bad)
    argv = _train(synthetic_folder, tmp_path / "new.pt", "--epochs", "3", "--resume", str(bad))
    assert main(argv) == 2
    err = _one_line(capsys.readouterr().err)
    assert str(bad) in err and "not finite" in err, err
    assert not (tmp_path / "new.pt").exists()


class _FullDisk:
    """torch.save as it fails on a full disk: some bytes land in the file, then the error."""

    def __init__(self, error: BaseException) -> None:
        self.error = error
        self.real = torch.save

    def __call__(self, obj: Any, f: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(f, str | Path):
            Path(f).write_bytes(b"PK\x03\x04 partial")
        else:
            f.write(b"PK\x03\x04 partial")
        raise self.error


FULL_DISK = {
    "OSError from the zip writer": OSError(errno.ENOSPC, "No space left on device"),
    "torch's RuntimeError naming the cause": RuntimeError(
        "[enforce fail at inline_container.cc:603] . PytorchStreamWriter failed writing file "
        "data/3: file write failed (No space left on device)"
    ),
    "torch's RuntimeError on a full disk": RuntimeError(
        "[enforce fail at inline_container.cc:672] . unexpected pos 704 vs 598"
    ),
}


@pytest.mark.parametrize("case", list(FULL_DISK))
def test_a_full_disk_while_saving_is_one_line_and_keeps_the_previous_model(
    copied_model: Path, synthetic_folder: Path, monkeypatch, capsys, case: str
) -> None:
    before = copied_model.read_bytes()
    monkeypatch.setattr(torch, "save", _FullDisk(FULL_DISK[case]))
    if "unexpected pos" in str(FULL_DISK[case]):  # torch does not say why: the disk does
        usage = shutil.disk_usage(copied_model.parent)
        monkeypatch.setattr(shutil, "disk_usage", lambda _p: usage._replace(free=4096))
    argv = _train(synthetic_folder, copied_model, "--epochs", "1", "--overwrite")
    assert main(argv) == 2
    err = _one_line(capsys.readouterr().err)
    assert f"{copied_model}: cannot save the model: no space left on device" in err, err
    assert "previous file is kept" in err
    assert copied_model.read_bytes() == before
    assert sorted(p.name for p in copied_model.parent.iterdir()) == ["a.last.pt", "a.pt"]


def _never_improves(monkeypatch) -> None:
    """Every validation of the resumed run is worse than the earlier run's best."""
    monkeypatch.setattr(trainer_mod._Trainer, "validate", lambda self, tensors, bank: 1e9)


def test_resume_into_a_new_out_writes_it_although_no_epoch_improves(
    copied_model: Path, synthetic_folder: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    earlier = read_model_meta(copied_model)
    best = earlier.val_loss if earlier.val_loss is not None else earlier.train_loss
    _never_improves(monkeypatch)
    new = tmp_path / "new.pt"
    resume = ["--epochs", "3", "--resume", str(last_path_for(copied_model))]
    assert main(_train(synthetic_folder, new, *resume)) == 0
    out = capsys.readouterr().out
    assert f"best loss {best:.4f}: {new}\n" in out, out
    assert new.read_bytes() == copied_model.read_bytes()  # the earlier run's best, as it was
    assert read_model_meta(last_path_for(new)).epochs_run == 3


def test_resume_without_the_earlier_best_file_writes_the_best_of_this_run(
    copied_model: Path, synthetic_folder: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    copied_model.unlink()
    _never_improves(monkeypatch)
    new = tmp_path / "new.pt"
    resume = ["--epochs", "3", "--resume", str(last_path_for(copied_model))]
    assert main(_train(synthetic_folder, new, *resume)) == 0
    out = capsys.readouterr().out
    meta = read_model_meta(new)
    assert meta.epochs_run == meta.best_epoch == 3 and meta.val_loss == 1e9
    assert f"best loss {1e9:.4f}: {new}\n" in out, out
