"""`samic weights list|download`: the official SAM and SAM 2.1 checkpoints."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from samic_core.cli.options import LazyBar
from samic_core.cli.parsing import HelpFormatter, Once, add_command, old_spelling
from samic_core.errors import SamicError
from samic_core.paths import checkpoints_dir
from samic_core.sam.fetch import fetch_checkpoint
from samic_core.sam.registry import MODELS
from samic_core.sam.weights import KNOWN_CHECKPOINTS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "weights",
        help="list or download SAM checkpoints",
        usage="%(prog)s {list,download} ...",
        description="SAM's and SAM 2.1's official checkpoints: which are in the user cache "
        "(list), and fetching one there (download), where every command finds it.",
        epilog="examples:\n  samic weights list\n  samic weights download vit_b\n"
        "  samic weights download sam2.1_hiera_t",
        formatter_class=HelpFormatter,
    )
    wsub = p.add_subparsers(dest="weights_command", metavar="ACTION", required=True, prog=p.prog)
    ls = add_command(
        wsub, "list",
        help="known checkpoints, where they go and whether they are present",
        usage="%(prog)s",
        examples=["samic weights list"],
    )  # fmt: skip
    ls.set_defaults(func=run_list)
    dl = add_command(
        wsub, "download",
        help="download an official checkpoint (sha256 checked)",
        usage="%(prog)s MODEL [--out DIR] [--url URL]",
        description="Downloads an official SAM checkpoint (sha256 checked; SAM 2.1's, which have "
        "no published sha256, by length) into the user cache, "
        "where every command finds it without --checkpoint. Saved elsewhere (--out), it is "
        "used by passing --checkpoint PATH (the path printed) to embed, segment, predict and "
        "eval.",
        examples=[
            "samic weights download vit_b",
            "samic weights download sam2.1_hiera_t",
            "samic weights download vit_h --out /shared/sam --url http://mirror.lan/sam_vit_h.pth",
        ],
    )  # fmt: skip
    dl.add_argument(
        "model_type", choices=list(KNOWN_CHECKPOINTS),
        help="SAM size: vit_b (what commands use by default), vit_l or vit_h; or SAM 2.1: "
        "sam2.1_hiera_t (the fastest encoder), sam2.1_hiera_s, sam2.1_hiera_b+, sam2.1_hiera_l",
    )  # fmt: skip
    dl.add_argument(
        "--out", dest="dest", type=Path, metavar="DIR", action=Once, names=("--out", "--dest"),
        help="folder to save into (default: the user cache, where every command looks; saved "
        "elsewhere, later commands need --checkpoint PATH)",
    )  # fmt: skip
    old_spelling(dl, "--dest", "--out", dest="dest", type=Path, metavar="DIR")
    dl.add_argument("--url", help="download from this address instead (a mirror)")
    dl.set_defaults(func=run_download)


def run_list(args: argparse.Namespace) -> int:
    rows = [("name", "engine", "parameters", "file", "size", "sha256", "path", "present")]
    for spec in MODELS.values():
        info = spec.checkpoint
        path = info.default_path()
        rows.append(
            (
                info.model_type,
                "SAM" if spec.family == "sam" else "SAM 2.1",
                f"{spec.params_m:g} M",
                info.filename,
                f"{info.size / 1e6:.0f} MB" if info.sha256 else f"~{info.size / 1e6:.0f} MB",
                info.sha256 or "not published",
                str(path),
                "yes" if path.is_file() else "no",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        sys.stdout.write("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + "\n")
    return 0


def run_download(args: argparse.Namespace) -> int:
    """Download (or find already there) the checkpoint; print its path, and how to use it when
    it is not where the commands look."""
    info = KNOWN_CHECKPOINTS[args.model_type]
    if args.dest is not None and args.dest.exists() and not args.dest.is_dir():
        raise SamicError(f"{args.dest}: not a folder (--out needs a folder to save into)")
    lazy = LazyBar(total=info.size, unit="B", unit_scale=True, desc=info.filename)

    def progress(done: int, total: int, _name: str) -> None:
        bar = lazy.bar
        if total:
            bar.total = total
        bar.n = done
        bar.refresh()

    try:
        path = fetch_checkpoint(args.model_type, args.dest, progress, url=args.url)
    finally:
        lazy.close()
    sys.stdout.write(f"{path}\n")  # the path alone, for scripts
    if path.parent.resolve() != checkpoints_dir().resolve():
        sys.stderr.write(
            f"note: commands look for checkpoints in {checkpoints_dir()}; to use this one, pass "
            f"--checkpoint {path}\n"
        )
    return 0
