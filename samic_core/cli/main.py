"""`samic` entry point: one parser with a subcommand per module in this package."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from types import ModuleType

from samic_core import __version__
from samic_core.cli import embed, model_info, predict, segment, synth, to_sambox, train, weights
from samic_core.cli import eval as eval_cli
from samic_core.cli import export as export_cmd
from samic_core.cli import import_ as import_cmd
from samic_core.errors import SamicError

# Each module has `register(subparsers)`, which adds its parser and sets `func`.
SUBCOMMANDS: list[ModuleType] = [
    weights,
    embed,
    segment,
    export_cmd,
    import_cmd,
    eval_cli,
    synth,
    to_sambox,
    train,
    predict,
    model_info,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="samic",
        description="SAMIC: SAM embeddings, segmentation and in-context prompt prediction.",
    )
    parser.add_argument("--version", action="version", version=f"samic {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in SUBCOMMANDS:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except SamicError as e:
        return _fail(args.command, str(e))
    except OSError as e:  # read-only folder, full disk, a file where a folder should be
        where = f"{e.filename}: " if e.filename else ""
        return _fail(args.command, f"{where}{e.strerror or e}")
    except (RecursionError, MemoryError) as e:
        return _fail(args.command, f"input too large or nested too deeply ({type(e).__name__})")
    except KeyboardInterrupt:
        sys.stderr.write(f"samic {args.command}: interrupted\n")
        return 130


def _fail(command: str, message: str, limit: int = 600) -> int:
    """Write one line `samic COMMAND: error: MESSAGE` (whitespace collapsed) and return 2."""
    text = " ".join(message.split())
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    sys.stderr.write(f"samic {command}: error: {text}\n")
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
