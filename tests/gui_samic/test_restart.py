"""Reopening a folder that already has trained SAMIC models: SAM must load every time.

Each start is a fresh interpreter (nothing imported yet), as when the user launches `sambox`:
the import race between the SAM loader thread and the models panel only shows there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from samic_core.modelfile.file import last_path_for

HARNESS = Path(__file__).with_name("app_harness.py")
ROOT = Path(__file__).resolve().parents[2]


def start_app(folder: Path, settings_ini: Path) -> tuple[int, dict, str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, str(HARNESS), "--settings", str(settings_ini), str(folder)],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        cwd=ROOT,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    return proc.returncode, json.loads(lines[-1]) if lines else {}, proc.stderr


def add_model(folder: Path, model: Path) -> Path:
    """Copy a trained model (and its resumable .last file) into the folder's models."""
    models = folder / "annotations" / "models"
    models.mkdir(parents=True, exist_ok=True)
    shutil.copy(model, models / "tiny.samic")
    last = last_path_for(model)
    if last.is_file():
        shutil.copy(last, models / "tiny.last.samic")
    return models / "tiny.samic"


def test_model_metadata_is_read_without_importing_torch(tiny_samic_model: Path) -> None:
    """The models panel lists models on the GUI thread: that must never import torch."""
    code = (
        "import sys; from samic_core.modelfile.meta import read_model_meta; "
        f"m = read_model_meta({str(tiny_samic_model)!r}); "
        "print(m.classes, m.epochs_run, 'torch' in sys.modules, 'torchvision' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout.split()
    assert out[-2:] == ["False", "False"], out
    assert "disc" in " ".join(out)


def test_old_and_damaged_model_files_are_reported_not_fatal(tmp_path: Path) -> None:
    from samic_core.errors import CheckpointError
    from samic_core.modelfile.meta import read_model_meta

    bad = tmp_path / "bad.samic"
    bad.write_bytes(b"not a zip")
    with pytest.raises(CheckpointError, match="bad.samic: not a readable SAMIC model file"):
        read_model_meta(bad)


def test_app_restarts_on_a_folder_with_a_trained_model(  # ~9 s: in `make test`, the worst past bug
    settings, annotated_folder: Path, tiny_samic_model: Path
) -> None:
    add_model(annotated_folder, tiny_samic_model)
    settings.sync()
    for _ in range(2):  # a second start also finds the embeddings the first one cached
        rc, report, err = start_app(annotated_folder, Path(settings.q.fileName()))
        assert rc == 0, (report, err[-2000:])
        assert report["state"] == "ready"
        assert report["models"] == ["tiny"]
        assert not report["problems"]
        assert not report["banner"]
