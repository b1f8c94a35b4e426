"""End the local Ray a `--ray` driver started when the driver dies without shutting it down.

Killed with SIGKILL (or by the OOM killer), a driver cannot run `ray.shutdown()`. Ray's GCS
and raylet die with it, but its dashboard and runtime-env agents keep trying to reach the dead
GCS for about a minute, and a worker busy in native code may outlive its raylet. So the driver
starts this watcher (`Reaper.start`: a Python running `watch(DRIVER_PID)`) before `ray.init`, in a
session of its own so that Ctrl+C or a kill of the driver's process group spares it. The watcher
learns the Ray processes the driver starts by walking the process tree below it (every POLL_S,
and whenever the driver writes to its pipe), and once the driver is gone (the pipe reads end of
file) or has stopped it, ends those still running: SIGTERM, then SIGKILL after GRACE_S.

Only processes that appeared below the driver after the watcher started and whose command line
is Ray's are touched, each matched by pid and start time, so a reused pid is never hit and a
cluster the driver merely joined is left alone. Linux only (it reads /proc); elsewhere the
driver starts no watcher. Imports no Ray, so the watcher starts in a fraction of a second.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

POLL_S = 0.2  # while Ray starts its processes
SLOW_POLL_S = 2.0  # after STARTUP_S: raylet's later workers die with it anyway
STARTUP_S = 60.0
GRACE_S = 1.0  # between SIGTERM and SIGKILL
PROC = Path("/proc")

Procs = dict[int, int]  # pid -> start time (clock ticks since boot), which tells reused pids apart


def supported() -> bool:
    """Whether processes can be watched here (Linux /proc)."""
    return sys.platform.startswith("linux") and (PROC / "self" / "stat").exists()


def _stat(pid: int) -> tuple[int, str, int] | None:
    """(parent pid, state, start time) of process `pid`; None when it is gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
        fields = text[text.rindex(")") + 2 :].split()
        return int(fields[1]), fields[0], int(fields[19])
    except (OSError, ValueError, IndexError):
        return None


def _children(pid: int) -> list[int]:
    """The child pids of `pid`, from /proc/PID/task/*/children, else a scan of /proc."""
    try:
        tasks = list((PROC / str(pid) / "task").iterdir())
        return [int(c) for t in tasks for c in (t / "children").read_text().split()]
    except (OSError, ValueError):
        pass
    out = []
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (st := _stat(int(entry.name))) is not None and st[0] == pid:
            out.append(int(entry.name))
    return out


def _is_ray(pid: int) -> bool:
    """Whether `pid` runs Ray code: a binary or script of the ray package, or a `ray::` worker."""
    try:
        cmd = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return False
    return cmd.startswith(b"ray::") or f"{os.sep}ray{os.sep}".encode() in cmd


def descendants(root: int) -> Procs:
    """{pid: start time} of every running descendant of `root`."""
    out: Procs = {}
    todo = [root]
    while todo:
        for child in _children(todo.pop()):
            st = _stat(child)
            if st is not None and child not in out:
                out[child] = st[2]
                todo.append(child)
    return out


def running(procs: Procs) -> list[int]:
    """The pids of `procs` still running as the same process (a zombie has ended)."""
    out = []
    for pid, start in procs.items():
        st = _stat(pid)
        if st is not None and st[2] == start and st[1] != "Z":
            out.append(pid)
    return out


def end(procs: Procs, grace: float = GRACE_S) -> None:
    """SIGTERM the running processes of `procs`, then SIGKILL those left after `grace` s."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 0.0)):
        for pid in running(procs):
            with contextlib.suppress(OSError):  # ended meanwhile
                os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while running(procs) and time.monotonic() < deadline:
            time.sleep(0.05)


def watch(driver: int, stdin: int = 0) -> None:
    """Track the Ray processes started below `driver` until it dies or closes `stdin`, then
    end those still running."""
    before = descendants(driver)  # not started by this Ray: never touched
    tracked: Procs = {}
    started = time.monotonic()
    driver_st = _stat(driver)
    while driver_st is not None:
        for pid, start in descendants(driver).items():
            if before.get(pid) != start and pid not in tracked and _is_ray(pid):
                tracked[pid] = start
        slow = time.monotonic() - started > STARTUP_S
        readable, _, _ = select.select([stdin], [], [], SLOW_POLL_S if slow else POLL_S)
        if readable and not os.read(stdin, 4096):
            break  # end of file: the driver closed the pipe or died
        now = _stat(driver)
        if now is None or now[2] != driver_st[2] or now[1] == "Z":
            break
    end(tracked)


class Reaper:
    """The driver's handle on its watcher process."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc

    @classmethod
    def start(cls) -> Reaper | None:
        """Start a watcher of this process; None where that is not supported or fails."""
        if not supported():
            return None
        # this very samic_core; appended, so an installed one (the same code) still comes first
        root = str(Path(__file__).resolve().parents[2])
        code = (
            f"import sys; sys.path.append({root!r}); "
            "from samic_core.scale.reaper import main; main()"
        )
        try:
            proc = subprocess.Popen(
                [sys.executable, "-c", code, str(os.getpid())],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True,
            )  # fmt: skip
        except OSError:
            return None
        return cls(proc)

    def scan(self) -> None:
        """Ask the watcher to look for new Ray processes now (right after ray.init)."""
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(b"s")
            self.proc.stdin.flush()
        except (OSError, ValueError):
            pass

    def stop(self, timeout: float = 5.0) -> None:
        """Close the pipe: the watcher ends what is left of this Ray and exits."""
        with contextlib.suppress(OSError):
            assert self.proc.stdin is not None
            self.proc.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):  # else it finishes on its own
            self.proc.wait(timeout)


def main() -> None:
    """The watcher process: `watch(sys.argv[1])`; the driver's Ctrl+C is not for it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    watch(int(sys.argv[1]))
