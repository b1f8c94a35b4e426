"""`samic` entry point: one parser with a subcommand per module in this package."""

from __future__ import annotations

import argparse
import logging
import os
import select
import sys
from collections.abc import Sequence
from types import ModuleType

from samic_core import __version__
from samic_core.cli import (
    embed,
    model_info,
    predict,
    segment,
    synth,
    to_sambox,
    track,
    train,
    weights,
)
from samic_core.cli import eval as eval_cli
from samic_core.cli import export as export_cmd
from samic_core.cli import import_ as import_cmd
from samic_core.cli.parsing import HelpFormatter, SamicParser
from samic_core.errors import SamicError

# Each module has `register(subparsers)`, which adds its parser and sets `func`. The order is the
# order `samic --help` lists them: the order a newcomer uses them, benchmarking tools last.
SUBCOMMANDS: list[ModuleType] = [
    weights,
    embed,
    segment,
    import_cmd,
    train,
    model_info,
    predict,
    track,
    export_cmd,
    to_sambox,
    eval_cli,
    synth,
]

WORKFLOW = """\
A first hour:
  samic weights download vit_b               SAM's weights, once
  (annotate a few images of FOLDER in the SAMBOX app, or import labels you already have:)
  samic import FOLDER --format coco --from instances.json
  samic train FOLDER                         model in FOLDER/annotations/models/, as the app
  samic predict FOLDER --model MODEL         annotate the rest (review them in the app)
  samic export FOLDER --format coco --out OUT

A command's first argument is what it works on (FOLDER: an image folder, its annotations in
FOLDER/annotations/; or an IMAGE, a DATASET, a MODEL); what it writes is --out; other inputs
are named flags (--model, --refs, --from). `samic COMMAND --help` explains each command and
shows examples."""


def build_parser() -> argparse.ArgumentParser:
    parser = SamicParser(
        prog="samic",
        description="SAMIC: SAM embeddings, segmentation and in-context prompt prediction.",
        epilog=WORKFLOW,
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"samic {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output (-vv: debug)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in SUBCOMMANDS:
        module.register(sub)
    return parser


def command_parser(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> argparse.ArgumentParser:
    """The (sub)parser of the command `args` ran, nested ones (`weights download`) included."""
    while True:
        found = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        name = getattr(args, found[0].dest, None) if found else None
        if name is None:
            return parser
        parser = found[0].choices[name]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extras = parser.parse_known_args(argv)
    if extras:  # reported by the subcommand (argparse would say `samic: error:`)
        command_parser(parser, args).error(f"unrecognized arguments: {' '.join(extras)}")
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    command = command_parser(parser, args).prog.removeprefix("samic ")
    try:
        return int(args.func(args) or 0)
    except SamicError as e:
        return _fail(command, str(e))
    except BrokenPipeError as e:
        if not _stdout_closed():  # a socket or a worker's pipe: an error like any other
            return _fail(command, f"{e.strerror or e}")
        # `samic model-info M | head`: the reader has what it wanted
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # no second error when Python flushes at exit
        return 0
    except OSError as e:  # read-only folder, full disk, a file where a folder should be
        where = f"{e.filename}: " if e.filename else ""
        return _fail(command, f"{where}{e.strerror or e}")
    except (RecursionError, MemoryError) as e:
        return _fail(command, f"input too large or nested too deeply ({type(e).__name__})")
    except KeyboardInterrupt:
        sys.stderr.write(f"samic {command}: interrupted\n")
        return 130


def _stdout_closed() -> bool:
    """Has the reader of our standard output gone (a pipe closed by `head`)? A pipe's write
    end reports an error condition once its read end is closed."""
    if not hasattr(select, "poll"):  # Windows: take it to be stdout, as before
        return True
    try:
        poll = select.poll()
        poll.register(sys.stdout.fileno(), select.POLLOUT)
        return any(ev & (select.POLLERR | select.POLLHUP) for _, ev in poll.poll(0))
    except (OSError, ValueError):  # stdout is no file (captured): not a closed pipe of ours
        return False


def _fail(command: str, message: str, limit: int = 600) -> int:
    """Write one line `samic COMMAND: error: MESSAGE` (whitespace collapsed) and return 2."""
    text = " ".join(message.split())
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    sys.stderr.write(f"samic {command}: error: {text}\n")
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
