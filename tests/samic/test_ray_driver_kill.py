"""A `--ray` driver killed with SIGKILL leaves no Ray process behind: the local Ray it started
(GCS, raylet, workers and the dashboard / runtime-env agents, which otherwise linger about a
minute trying to reach the dead GCS) ends within seconds.

Linux only (the processes are found through /proc); the test removes every process it started,
whatever happens.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip(
    "ray", reason="Ray is not installed: the samic[ray] extra (pip install -e '.[dev,ray]')"
)
pytestmark = [
    pytest.mark.ray,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc"),
]

ROOT = Path(__file__).resolve().parents[2]
DRIVER = """
import time
from samic_core.scale.ray_runtime import connected
with connected("local"):
    print("ready", flush=True)
    time.sleep(600)
"""
START_S = 60  # ray.init on 2 busy cores; only a failing run waits this long
GONE_S = 15  # the agents alone would linger about 60 s


def _stat(pid: int) -> tuple[int, str, int] | None:
    """(parent pid, state, start time in clock ticks) of a live process, None when gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), fields[0], int(fields[19])


def _cmdline(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def _descendants(root: int) -> dict[int, int]:
    """{pid: start time} of every live descendant of `root`."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (st := _stat(int(entry.name))) is not None:
            children.setdefault(st[0], []).append(int(entry.name))
    out, todo = {}, [root]
    while todo:
        for child in children.get(todo.pop(), []):
            st = _stat(child)
            if st is not None:
                out[child] = st[2]
                todo.append(child)
    return out


def _alive(procs: dict[int, int]) -> dict[int, str]:
    """{pid: command line} of the processes of `procs` still running (same start time, not a
    zombie: a zombie has ended and only waits to be reaped)."""
    out = {}
    for pid, start in procs.items():
        st = _stat(pid)
        if st is not None and st[2] == start and st[1] != "Z":
            out[pid] = _cmdline(pid)
    return out


def test_killed_driver_leaves_no_ray_process(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}  # start a local Ray
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    driver = subprocess.Popen(
        [sys.executable, "-c", DRIVER], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, start_new_session=True, text=True,
    )  # fmt: skip
    started: dict[int, int] = {}
    try:
        assert driver.stdout is not None
        ready, _, _ = select.select([driver.stdout], [], [], START_S)
        assert ready, f"the driver did not start Ray within {START_S} s"
        line = driver.stdout.readline()  # "ready", or EOF if the driver failed
        assert line.strip() == "ready", line
        started = _descendants(driver.pid)
        ray_procs = {p: s for p, s in started.items() if "ray" in _cmdline(p)}
        assert any("Agent" in _cmdline(p) for p in ray_procs), _alive(started)
        driver.send_signal(signal.SIGKILL)
        driver.wait()
        deadline = time.monotonic() + GONE_S
        while _alive(started) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(started), _alive(started)
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.wait()
        for pid in _alive(started):  # whatever is left of this test's processes
            os.kill(pid, signal.SIGKILL)
