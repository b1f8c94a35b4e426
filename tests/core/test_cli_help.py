"""`samic --help` and every `samic CMD --help`: each argument explained with its default, each
command with examples that parse, the commands listed in the order a newcomer uses them."""

from __future__ import annotations

import argparse
import re
import shlex
from collections.abc import Iterator

import pytest

from samic_core.cli.main import build_parser, main

WORKFLOW = ["weights", "embed", "segment", "import", "train", "model-info", "predict", "export",
            "to-sambox", "eval", "synth"]  # fmt: skip


def _commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every (command words, parser) below `parser`, nested ones (`weights download`) too."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*path, name), sub
                yield from _commands(sub, (*path, name))


def _leaf_commands() -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """The commands that run something (not `weights`, which only holds list / download)."""
    return [
        (words, p)
        for words, p in _commands(build_parser())
        if not any(isinstance(a, argparse._SubParsersAction) for a in p._actions)
    ]


def _expanded_help(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    """The help text of one argument as `--help` prints it (before wrapping)."""
    return parser._get_formatter()._expand_help(action)


def _shown(action: argparse.Action) -> bool:
    return action.help is not argparse.SUPPRESS and not isinstance(
        action, argparse._HelpAction | argparse._SubParsersAction
    )


def test_every_argument_has_a_help_line() -> None:
    missing = [
        f"samic {' '.join(words)} {action.option_strings or action.dest}"
        for words, p in _commands(build_parser())
        for action in p._actions
        if _shown(action) and not (action.help or "").strip()
    ]
    assert missing == []


def test_every_default_is_shown() -> None:
    """An argument whose default is a value (not None / False / an empty list) says it."""
    silent = []
    for words, p in _commands(build_parser()):
        for action in p._actions:
            default = action.default
            if not _shown(action) or default is None or default is False or default == []:
                continue
            if "default" not in _expanded_help(p, action).lower():
                silent.append(f"samic {' '.join(words)} {'/'.join(action.option_strings)}")
    assert silent == []


def test_defaults_read_as_values(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as e:
        main(["train", "--help"])
    assert e.value.code == 0
    text = " ".join(capsys.readouterr().out.split())  # help lines wrap
    assert "(default: 300)" in text and "(default: 0.001)" in text and "(default: 0)" in text


@pytest.mark.parametrize("words", [w for w, _ in _leaf_commands()], ids=" ".join)
def test_every_command_shows_examples_that_parse(
    words: tuple[str, ...], capsys: pytest.CaptureFixture
) -> None:
    with pytest.raises(SystemExit):
        main([*words, "--help"])
    text = capsys.readouterr().out
    assert "examples:" in text
    examples = [
        line.strip()
        for line in text[text.index("examples:") :].splitlines()
        if line.strip().startswith(f"samic {' '.join(words)}")
    ]
    assert 1 <= len(examples) <= 3, text
    for example in examples:  # each example is one unwrapped line that parses
        build_parser().parse_args(shlex.split(example)[1:])


def test_top_help_lists_the_commands_in_workflow_order(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    listing = text[text.index("COMMAND") :]
    rows = [line.split()[0] for line in listing.splitlines()[1:] if line.startswith("    ")]
    assert [r for r in rows if r in WORKFLOW] == WORKFLOW


def _workflow_commands() -> list[str]:
    """Every `samic ...` command line of `samic --help`'s "A first hour" block (up to the first
    blank line): the text after `samic ` up to a closing parenthesis or a two-space gap."""
    from samic_core.cli.main import WORKFLOW

    block = WORKFLOW.split("\n\n")[0]
    return [m.group(1).strip() for m in re.finditer(r"samic ((?:(?! {2})[^)\n])+)", block)]


def test_the_first_hour_commands_parse() -> None:
    """Each command the epilog shows a newcomer runs as written (placeholders as values)."""
    commands = _workflow_commands()
    assert len(commands) >= 5 and any(c.startswith("import ") for c in commands), commands
    parser = build_parser()
    for command in commands:
        args = parser.parse_args(shlex.split(command))
        assert args.command == command.split()[0], command
