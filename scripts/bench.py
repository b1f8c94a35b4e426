"""`make bench`: run every benchmark script in turn and print their figures.

Each part is its own script so it can be run alone; this one only sequences them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PARTS = [
    "bench_engine.py",
    "bench_track.py",
    "bench_app.py",
    "bench_samic.py",
    "bench_predict.py",
    "bench_gpu.py",
    "bench_eval.py",
]


def main() -> int:
    failed = []
    for name in PARTS:
        script = HERE / name
        if not script.is_file():
            continue
        print(f"\n=== {name} ===", flush=True)
        rc = subprocess.call([sys.executable, str(script), *sys.argv[1:]])
        if rc != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
