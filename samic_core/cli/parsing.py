"""How every `samic` parser reads, explains and refuses: help with defaults and examples,
argparse errors as one line naming the subcommand, and the one way inputs are named.

The naming rule: the thing a command works on is its first argument (an image folder, an image,
a dataset, a model), what it writes is `--out`, and other inputs are named flags (`--model`,
`--refs`, `--from`). Older spellings (`predict --images`, `eval --dataset`, `synth OUT`, ...)
stay accepted as hidden aliases; `old_spelling` adds one.
"""

from __future__ import annotations

import argparse
import re
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from samic_core.errors import SamicError


class SamicParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line: `samic CMD: error: MESSAGE (see ...)`.

    Subparsers are made with the parent's class, so every subcommand reports under its own
    name, as the errors the commands themselves raise do (cli/main.py)."""

    def error(self, message: str) -> NoReturn:
        """One line on stderr and exit code 2, instead of the usage block and a second line."""
        text = " ".join(message.split())
        self.exit(2, f"{self.prog}: error: {text} (see `{self.prog} --help`)\n")


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions wrapped as paragraphs but indented lines (examples) kept as written, and
    every argument's default appended to its help unless the help already states it."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        out: list[str] = []
        for block in re.split(r"\n\s*\n", text.strip("\n")):
            lines = block.splitlines()
            if any(line.startswith(" ") for line in lines):  # examples: as written
                out.append("\n".join(indent + line for line in lines))
            else:
                out.append(textwrap.fill(
                    " ".join(block.split()), width, initial_indent=indent,
                    subsequent_indent=indent, break_on_hyphens=False, break_long_words=False,
                ))  # fmt: skip
        return "\n\n".join(out)

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if not shows_default(action) or "default" in text.lower():
            return text
        return f"{text} (default: %(default)s)".strip()


def shows_default(action: argparse.Action) -> bool:
    """Whether an argument's default is a value worth printing (not None, off or empty)."""
    default = action.default
    if default is None or default is False or default is argparse.SUPPRESS:
        return False
    if isinstance(default, list | tuple) and not default:
        return False
    return not isinstance(action, argparse._HelpAction | argparse._VersionAction |
                          argparse._CountAction)  # fmt: skip


def add_command(
    sub: argparse._SubParsersAction,
    name: str,
    *,
    help: str,
    usage: str,
    examples: Sequence[str],
    description: str | None = None,
) -> argparse.ArgumentParser:
    """A subcommand parser with the shared formatter, a short usage line and its examples
    (each a full command line, kept on one line) as the epilog."""
    epilog = "examples:\n" + "\n".join(f"  {e}" for e in examples)
    return sub.add_parser(
        name,
        help=help,
        usage=usage,
        description=description or help[:1].upper() + help[1:] + ".",
        epilog=epilog,
        formatter_class=HelpFormatter,
    )


class Once(argparse.Action):
    """Store a value that may come from a positional or from its alias flag: a positional left
    out keeps what the alias gave, and two different values are refused. `names`: the
    argument's spellings, for that error."""

    def __init__(self, *args: Any, names: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.names = names

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        if values is None or values == []:  # an optional positional that was not given
            return
        before = getattr(namespace, self.dest, None)
        if before is not None and before != values:
            names = " / ".join(self.names)
            parser.error(f"{names} given twice ({before} and {values}); give it once")
        setattr(namespace, self.dest, values)


def add_input(
    parser: argparse._ActionsContainer,
    dest: str,
    metavar: str,
    help: str,
    old_option: str | None = None,
) -> None:
    """The command's first argument (optional to argparse, so that `old_option`, its older
    spelling, can stand in; `required_input` refuses neither being given)."""
    names = (metavar, old_option) if old_option else (metavar,)
    parser.add_argument(
        dest, nargs="?", type=Path, metavar=metavar, help=help, action=Once, names=names
    )
    if old_option:
        parser.add_argument(old_option, dest=dest, type=Path, metavar=metavar,
                            help=argparse.SUPPRESS, action=Once, names=names)  # fmt: skip


def old_spelling(parser: argparse._ActionsContainer, name: str, new: str, **kwargs: Any) -> None:
    """A hidden flag (or positional) that means the same as `new`, which must store into the
    same dest with the Once action, so that the two given differently are refused."""
    parser.add_argument(name, help=argparse.SUPPRESS, action=Once, names=(new, name), **kwargs)


def required_input(value: Any, what: str) -> Any:
    """`value`, or the one-line error that names the missing argument."""
    if value is None:
        raise SamicError(f"missing {what}")
    return value
