"""A stop that arrives during an epoch's last step saves nothing of that epoch (issue 12: quitting
the app while training was still 'preparing' left a 1-epoch model as the newest model)."""

from __future__ import annotations

from samic_core.modelfile.file import last_path_for
from samic_core.train.trainer import TrainProgress, train


def test_stop_during_the_first_epochs_last_step_writes_no_model(
    synthetic_folder, tiny_train_config, tmp_path
) -> None:
    stop = [False]
    steps: list[int] = []

    def progress(p: TrainProgress) -> None:  # the user quits while this step runs
        steps.append(p.steps)
        stop[0] = True

    out = tmp_path / "m.pt"
    result = train(
        tiny_train_config(synthetic_folder, out, epochs=5, batch_size=64),
        progress,
        should_stop=lambda: stop[0],
    )
    assert steps == [1]  # one step an epoch: the stop came during the epoch's last step
    assert result.cancelled and result.epochs_run == 0
    assert result.best_path is None and not out.exists() and not last_path_for(out).exists()
