"""The community's fixed episode lists, and whether a run used them ("standard") or not.

The published numbers of the few-shot benchmarks come from fixed lists that HSNet's repository
ships (`data/splits/`): Pascal-5i's `pascal/{val,trn}/fold{i}.txt` (`<image>__<class id>` lines,
small objects removed), COCO-20i's `coco/{val,trn}/fold{i}.pkl` (a pickled dict: 0-based class
index -> image names `val2014/<file>.jpg`) and FSS-1000's `fss/test.txt` (240 class names).
Results are only comparable with the papers' when these lists are read; a run on any other list
is labelled "non-standard", with a note saying which list it used.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

from samic_core.errors import FileProblem

STANDARD = "standard"
NON_STANDARD = "non-standard"
# (image, class) pairs per fold in HSNet's Pascal-5i lists (data/splits/pascal/{val,trn}).
HSNET_PASCAL_PAIRS = {"val": (346, 451, 725, 346), "trn": (2286, 3425, 5883, 2086)}
FSS_TEST_CLASSES = 240  # HSNet's data/splits/fss/test.txt
PERSEG_CLASSES = 40  # PerSAM's PerSeg, every class scored
# Each benchmark's episode policy (episodes.py) in the papers' protocol.
REFERENCE_POLICIES = {"fss": "random", "perseg": "first", "coco20i": "class", "pascal5i": "cycle"}
MAX_LIST_BYTES = 64 << 20  # a fold pkl of COCO's training side is a few MB


def label(standard: bool) -> str:
    """The `list` value written to results.json."""
    return STANDARD if standard else NON_STANDARD


def run_list(
    standard_list: bool,
    note: str,
    format: str,
    policy: str,
    episodes: int,
    max_queries_per_class: int | None,
) -> tuple[str, str]:
    """(list label, note) of a run: standard only when the reference list is read and the
    episodes are drawn from all of it as the papers do (their policy and episode count)."""
    from samic_core.eval.episodes import BENCHMARK_EPISODES

    if not standard_list:
        return NON_STANDARD, note
    reference = REFERENCE_POLICIES.get(format)
    why = None
    if max_queries_per_class is not None:
        why = "--episodes-per-class caps the queries per class"
    elif policy != reference:
        why = f"episode policy {policy}, the benchmark's is {reference}"
    elif policy in ("cycle", "class") and episodes != BENCHMARK_EPISODES:
        why = f"{episodes} episodes, the benchmark's {BENCHMARK_EPISODES}"
    return (NON_STANDARD, f"{note}, but {why}") if why else (STANDARD, note)


def fold_file_of(split_file: Path, fold: int) -> Path:
    """HSNet's fold file `fold{fold}.txt` (or .pkl) beside `split_file`, or inside it when it is
    the split's folder (`data/splits/pascal/trn/`)."""
    folder = split_file if split_file.is_dir() else split_file.parent
    suffix = ".txt" if split_file.is_dir() else split_file.suffix
    return folder / f"fold{fold}{suffix or '.txt'}"


class _PlainUnpickler(pickle.Unpickler):
    """Unpickles plain containers only: a list file must not be able to run code."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"it refers to {module}.{name}; only plain data is read")


def read_coco_fold_pkl(path: Path) -> dict[int, list[str]]:
    """HSNet's COCO-20i fold list: {0-based class index: [image names]}; code in the pickle is
    refused, and any other shape is a one-line error naming the file."""
    try:
        if path.stat().st_size > MAX_LIST_BYTES:
            raise FileProblem(path, f"list file is over {MAX_LIST_BYTES >> 20} MiB")
        data = _PlainUnpickler(io.BytesIO(path.read_bytes())).load()
    except FileProblem:
        raise
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError) as e:
        raise FileProblem(path, f"not a readable COCO-20i fold list (.pkl) ({e})") from None
    if not isinstance(data, dict) or not data:
        raise FileProblem(path, "a COCO-20i fold list must be a dict {class index: [images]}")
    out: dict[int, list[str]] = {}
    for key, names in data.items():
        if not isinstance(key, int) or isinstance(key, bool) or not 0 <= key < 80:
            raise FileProblem(path, f"class key {key!r} is not a class index 0..79")
        if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
            raise FileProblem(path, f"class {key}: the images must be a list of names")
        out[key] = list(names)
    return out
