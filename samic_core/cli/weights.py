"""`samic weights list|download`: the official SAM checkpoints."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from samic_core.sam.weights import KNOWN_CHECKPOINTS, download_checkpoint


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("weights", help="list or download SAM checkpoints")
    wsub = p.add_subparsers(dest="weights_command", metavar="ACTION", required=True)
    ls = wsub.add_parser("list", help="known checkpoints and whether they are present")
    ls.set_defaults(func=run_list)
    dl = wsub.add_parser("download", help="download an official checkpoint (sha256 checked)")
    dl.add_argument("model_type", choices=sorted(KNOWN_CHECKPOINTS))
    dl.add_argument("--dest", type=Path, help="folder to save into (default: user cache)")
    dl.add_argument("--url", help="download from this address instead (a mirror)")
    dl.set_defaults(func=run_download)


def run_list(args: argparse.Namespace) -> int:
    rows = [("name", "file", "size", "sha256", "path", "present")]
    for info in KNOWN_CHECKPOINTS.values():
        path = info.default_path()
        rows.append(
            (
                info.model_type,
                info.filename,
                f"{info.size / 1e6:.0f} MB",
                info.sha256,
                str(path),
                "yes" if path.is_file() else "no",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        sys.stdout.write("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + "\n")
    return 0


def run_download(args: argparse.Namespace) -> int:
    info = KNOWN_CHECKPOINTS[args.model_type]
    with tqdm(total=info.size, unit="B", unit_scale=True, desc=info.filename) as bar:

        def progress(done: int, total: int, _name: str) -> None:
            if total:
                bar.total = total
            bar.n = done
            bar.refresh()

        path = download_checkpoint(args.model_type, args.dest, progress, url=args.url)
    sys.stdout.write(f"{path}\n")
    return 0
