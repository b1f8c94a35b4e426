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
        sys.stderr.write(f"samic {args.command}: error: {e}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write(f"samic {args.command}: interrupted\n")
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
