"""The weight average: what it averages, that the module gets its own weights back, that it
resumes exactly, and that a bad saved average is a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from samic_core.errors import CheckpointError
from samic_core.modelfile.file import last_path_for, read_model_file
from samic_core.testing.multi_instance import write_folder
from samic_core.train.averaging import WARMUP, WeightAverage
from samic_core.train.trainer import train


def test_the_average_follows_the_weights_with_its_decay_and_gives_them_back() -> None:
    layer = nn.Linear(2, 1)
    with torch.no_grad():
        layer.weight.fill_(0.0)
    avg = WeightAverage(layer, decay=0.5)
    with torch.no_grad():
        layer.weight.fill_(1.0)
    avg.update(layer)  # warm-up: d = min(0.5, 2 / (WARMUP + 1))
    d = min(0.5, 2 / (WARMUP + 1))
    assert avg.weights["weight"] == pytest.approx(torch.full((1, 2), 1 - d))
    with avg.applied(layer):
        assert torch.equal(layer.weight, avg.weights["weight"])
    assert torch.equal(layer.weight, torch.ones(1, 2))  # its own weights again
    again = WeightAverage(nn.Linear(2, 1))
    again.load_state(avg.state(), Path("m.last.samic"))
    assert again.updates == 1 and torch.equal(again.weights["weight"], avg.weights["weight"])


@pytest.mark.parametrize(
    "state, why",
    [
        ({"updates": 1}, "not a mapping of weights"),
        ({"updates": -1, "weights": {}}, "no step count"),
        ({"updates": 1, "weights": {"weight": torch.zeros(1, 2)}}, "other weights"),
        ({"updates": 1, "weights": {"weight": torch.zeros(3), "bias": torch.zeros(1)}},
         "'weight' does not fit"),
        ({"updates": 1, "weights": {"weight": torch.full((1, 2), float("nan")),
                                    "bias": torch.zeros(1)}}, "not finite"),
    ],
)  # fmt: skip
def test_a_saved_average_that_does_not_fit_is_a_clear_error(state, why) -> None:
    avg = WeightAverage(nn.Linear(2, 1))
    with pytest.raises(CheckpointError, match=why) as e:
        avg.load_state(state, Path("m.last.samic"))
    assert "m.last.samic" in str(e.value)


def test_the_auto_schedule_saves_the_average_and_trains_on_the_raw_weights(
    tiny_train_config, tmp_path: Path
) -> None:
    """The best file holds the average, the .last file the raw weights and the average's state;
    the paper schedule keeps none."""
    folder = tmp_path / "many"
    write_folder(folder, 8, seed=3)
    out = tmp_path / "m.pt"
    result = train(
        tiny_train_config(folder, out, epochs=2, schedule="auto", time_limit=0, val_fraction=0)
    )
    assert result.best_epoch == 2  # no validation: the training loss chooses
    best, last = read_model_file(out), read_model_file(last_path_for(out))
    saved = last.train_state["average"]
    assert saved is not None and saved["updates"] > 0
    for k, v in best.state_dict.items():
        if v.is_floating_point():
            assert torch.equal(v, saved["weights"][k])  # the best file: the average
    differs = [k for k, v in last.state_dict.items() if v.is_floating_point()
               and not torch.equal(v, saved["weights"][k])]  # fmt: skip
    assert differs  # the raw weights go on training
    assert best.meta.config["average"] is True
    paper = train(tiny_train_config(folder, tmp_path / "p.pt", epochs=1, val_fraction=0))
    assert paper.best_path is not None
    assert read_model_file(last_path_for(tmp_path / "p.pt")).train_state["average"] is None
