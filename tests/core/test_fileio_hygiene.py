"""Written files follow the umask; leftovers of killed runs are removed, and only those."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from samic_core.errors import SamicError
from samic_core.export.common import OWNER_FILENAME, remove_stale_stages, staged_output
from samic_core.fileio import atomic_write_bytes, atomic_write_text, remove_stale_temps

posix = pytest.mark.skipif(os.name != "posix", reason="POSIX modes")


@posix
@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_files_and_export_folders_follow_the_umask(tmp_path: Path, umask: int):
    old = os.umask(umask)
    try:
        atomic_write_text(tmp_path / "a.json", "{}")
        with staged_output(tmp_path / "out") as stage:
            (stage / "x.txt").write_text("x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.json").stat().st_mode) == 0o666 & ~umask
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == 0o777 & ~umask
    assert not (tmp_path / "out" / OWNER_FILENAME).exists()


def test_stale_model_temps_are_removed_fresh_ones_kept(tmp_path: Path):
    model = tmp_path / "model.pt"
    stale, fresh = tmp_path / ".model.pt.abc.tmp", tmp_path / ".model.pt.def.tmp"
    other = tmp_path / ".other.pt.abc.tmp"  # another target's: not ours to judge
    for p in (stale, fresh, other):
        p.write_bytes(b"x" * 100)
    os.utime(stale, (1, 1))
    os.utime(other, (1, 1))
    from samic_core.fileio import atomic_path

    with atomic_path(model, clean_stale=True) as tmp:
        tmp.write_bytes(b"model")
    assert model.read_bytes() == b"model"
    assert not stale.exists() and fresh.exists() and other.exists()
    assert remove_stale_temps(model, age=-1) == [fresh]


def test_model_file_is_never_half_written_on_a_full_disk(tmp_path: Path, monkeypatch):
    import errno

    import torch

    from samic_core.modelfile import file as model_file

    model = tmp_path / "model.pt"
    atomic_write_bytes(model, b"the previous model")

    def full_disk(obj, f, *args, **kwargs):
        if isinstance(f, (str, Path)):
            Path(f).write_bytes(b"half")
        else:
            f.write(b"half")
        raise OSError(errno.ENOSPC, "No space left on device", str(f))

    monkeypatch.setattr(torch, "save", full_disk)
    with pytest.raises(SamicError, match="no space left on device"):
        model_file.save_model_file(model, _tiny_net(), _meta())
    assert model.read_bytes() == b"the previous model"
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]


def _tiny_net():
    class Net:
        class learner:  # noqa: N801 - stands in for the module save_model_file reads
            @staticmethod
            def state_dict():
                return {}

    return Net()


def _meta():
    class Meta:
        @staticmethod
        def to_dict():
            return {}

    return Meta()


def test_stale_export_stages_of_dead_runs_are_removed(tmp_path: Path):
    out = tmp_path / "out"
    dead = tmp_path / ".out.partial-dead"
    alive = tmp_path / ".out.partial-alive"
    young = tmp_path / ".out.partial-young"
    for d in (dead, alive, young):
        (d / "images").mkdir(parents=True)
    import socket

    (dead / OWNER_FILENAME).write_text(f"{socket.gethostname()} 999999999\n")
    (alive / OWNER_FILENAME).write_text(f"{socket.gethostname()} {os.getpid()}\n")
    for d in (dead, alive):
        os.utime(d, (1, 1))
    assert remove_stale_stages(out) == [dead]
    assert alive.is_dir() and young.is_dir()
