"""A model file's zip archive read within a size budget, without torch.

torch.save writes a zip archive: `<root>/data.pkl` (the pickled dict) and one record per tensor
storage. A hostile or damaged file can declare, or inflate to, far more than it holds on disk,
so every member's declared uncompressed size is checked before anything is read, and the one
member this module reads (the pickle) is read through a bounded reader, since a declared size
can lie. Both model readers (modelfile/meta.py without torch, modelfile/file.py with torch) go
through `check_archive` first.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from samic_core.errors import CheckpointError

MIB = 1 << 20
# The pickle of a real model file is tens of KB (a few hundred KB with a long history); this
# budget keeps unpickling a hostile one (containers cost more than their opcodes) far below
# the memory a model load takes anyway.
PICKLE_BUDGET = 4 * MIB
MEMBER_BUDGET = 64 * MIB  # one tensor record: far above the learner's largest tensor
TOTAL_BUDGET = 256 * MIB  # all records: several times a ".last" file (weights + optimizer state)
MAX_MEMBERS = 10_000  # records: many times those of a ".last" file (a few per tensor)
_UNREADABLE = "not a readable SAMIC model file"


def short(e: BaseException, limit: int = 160) -> str:
    """An exception as one short line, for a message that names a file."""
    text = " ".join(str(e).split()) or type(e).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _mib(n: int) -> str:
    return f"{n / MIB:.0f} MiB" if n >= MIB else f"{n} bytes"


def check_members(archive: zipfile.ZipFile, path: Path) -> zipfile.ZipInfo:
    """Refuse an archive whose declared sizes exceed the budgets; return its pickle member."""
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise CheckpointError(path, f"{_UNREADABLE} ({len(infos)} archive members)")
    pickle_info, total = None, 0
    for info in infos:
        is_pickle = info.filename == "data.pkl" or info.filename.endswith("/data.pkl")
        budget = PICKLE_BUDGET if is_pickle else MEMBER_BUDGET
        if info.file_size > budget:
            raise CheckpointError(
                path,
                f"{_UNREADABLE}: archive member {info.filename[:80]!r} would inflate to "
                f"{_mib(info.file_size)} (at most {_mib(budget)} allowed)",
            )
        total += info.file_size
        if is_pickle and pickle_info is None:
            pickle_info = info
    if total > TOTAL_BUDGET:
        raise CheckpointError(
            path, f"{_UNREADABLE}: its archive would inflate to {_mib(total)} (at most "
            f"{_mib(TOTAL_BUDGET)} allowed)",
        )  # fmt: skip
    if pickle_info is None:
        raise CheckpointError(path, "not a SAMIC model file (made by `samic train`)")
    return pickle_info


def read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, budget: int = PICKLE_BUDGET
) -> bytes:
    """A member's bytes, never more than `budget` read or inflated, whatever the archive says."""
    with archive.open(info) as f:
        data = f.read(budget + 1)
    if len(data) > budget:
        raise CheckpointError(
            path, f"{_UNREADABLE}: archive member {info.filename[:80]!r} inflates to more than "
            f"{_mib(budget)}",
        )  # fmt: skip
    return data


def check_archive(path: Path) -> None:
    """Open `path` as a zip archive and check its declared sizes (CheckpointError otherwise)."""
    if not path.is_file():
        raise CheckpointError(path, "model file does not exist")
    try:
        with zipfile.ZipFile(path) as archive:
            check_members(archive, path)
    except CheckpointError:
        raise
    except Exception as e:  # zipfile raises many types for foreign or damaged files
        raise CheckpointError(path, f"{_UNREADABLE} ({short(e)})") from e


def read_pickle_bytes(path: Path) -> bytes:
    """The archive's pickle member, read within the budget (CheckpointError otherwise)."""
    if not path.is_file():
        raise CheckpointError(path, "model file does not exist")
    try:
        with zipfile.ZipFile(path) as archive:
            return read_member(archive, check_members(archive, path), path)
    except CheckpointError:
        raise
    except Exception as e:  # bad CRC, bad deflate data, encrypted or unsupported members...
        raise CheckpointError(path, f"{_UNREADABLE} ({short(e)})") from e
