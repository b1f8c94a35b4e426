"""Every `samic`, `sambox` and `make` command that README.md and docs/*.md show is one the real
parsers accept, so a renamed flag or subcommand cannot leave the documentation behind.

Commands come from fenced code blocks (backslash-continued lines joined, `NAME=value` and
`for NAME in ...` values of the same file substituted) and from inline code spans. A code-block
command is parsed in full with `parse_args`; a synopsis (`[...]`, `a|b`, `...`) or an inline span
(often a fragment such as `samic train --schedule paper`) has its subcommand, every option and
every literal choice value checked. Placeholders (FOLDER, MODEL, a single letter) are fine values.
Also: docs/app.md's key table is sambox/keymap.py's, and every relative link and anchor resolves.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import pytest

from samic_core.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[2]
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PROGRAMS = ("samic", "sambox", "make")
SYNOPSIS_MARKS = ("[", "]", "|", "...", "…")
# Commands that cannot be checked, as "file:line": keep this empty unless there is no other way.
SKIP: set[str] = set()


@dataclass(frozen=True)
class DocCommand:
    where: str  # "README.md:12"
    text: str  # the command line, continuations joined and variables substituted
    full: bool  # parse it completely (a code-block command that is not a synopsis)


def _logical_lines(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Join lines ending in a backslash with the next one; keep the first line's number."""
    out: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for number, line in lines:
        if pending is not None:
            number, line = pending[0], pending[1] + " " + line.strip()
        if line.rstrip().endswith("\\"):
            pending = (number, line.rstrip()[:-1])
            continue
        pending = None
        out.append((number, line))
    if pending is not None:
        out.append(pending)
    return out


def _shell_values(block_lines: list[str]) -> dict[str, str]:
    """Shell variables code blocks set: `NAME="value"`, and a `for NAME in` loop's first value."""
    env: dict[str, str] = {}
    for line in block_lines:
        if m := re.match(r"\s*([A-Za-z_]\w*)=(\S.*)$", line):
            env[m.group(1)] = " ".join(shlex.split(m.group(2), comments=True))
        for m in re.finditer(r"\bfor\s+([A-Za-z_]\w*)\s+in\s+(\S+)", line):
            env[m.group(1)] = m.group(2)
    return env


def _substitute(text: str, env: dict[str, str]) -> str:
    """`$NAME` and `${NAME...}` (e.g. bash's `${t/,/_}`) replaced by the value the file sets."""

    def value(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        return env.get(name, m.group(0))

    return re.sub(r"\$\{([A-Za-z_]\w*)[^}]*\}|\$([A-Za-z_]\w*)", value, text)


def _commands_in(segment: str) -> list[str]:
    """The program invocations of one shell line (split at `&&`, `||` and `;`)."""
    parts = re.split(r"\s*(?:&&|\|\||;)\s+", segment.strip())
    out = []
    for part in parts:
        part = re.sub(r"^\$\s+", "", part.strip())  # a `$ ` prompt
        if part.split(" ", 1)[0] in PROGRAMS and " " in part:
            out.append(part)
    return out


def extract(path: Path, root: Path = ROOT) -> list[DocCommand]:
    """Every samic / sambox / make command in one Markdown file."""
    name = path.relative_to(root).as_posix()
    lines = path.read_text(encoding="utf-8").splitlines()
    fenced: list[list[tuple[int, str]]] = []
    prose: list[tuple[int, str]] = []
    block: list[tuple[int, str]] | None = None
    for number, line in enumerate(lines, 1):
        if line.lstrip().startswith(("```", "~~~")):
            if block is None:
                block = []
            else:
                fenced.append(block)
                block = None
        elif block is not None:
            block.append((number, line))
        else:
            prose.append((number, line))
    env = _shell_values([line for b in fenced for _, line in b])
    found: list[DocCommand] = []
    for b in fenced:
        for number, line in _logical_lines(b):
            for cmd in _commands_in(_substitute(line, env)):
                words = shlex.split(cmd, comments=True)
                full = not any(mark in w for w in words for mark in SYNOPSIS_MARKS)
                found.append(DocCommand(f"{name}:{number}", " ".join(words), full))
    # Inline code may wrap across lines: search paragraphs with their line breaks as spaces.
    text = "\n".join(line for _, line in prose)
    starts = [0]
    for _, line in prose:
        starts.append(starts[-1] + len(line) + 1)
    for m in re.finditer(r"(`+)(.+?)\1", text, flags=re.S):
        span = " ".join(m.group(2).split())
        program, _, rest = span.partition(" ")
        if program not in PROGRAMS or not rest or rest.split()[0].endswith(":"):
            continue  # not a command, or a message such as `samic predict: error: ...`
        index = next(i for i, s in enumerate(starts) if s > m.start()) - 1
        found.append(DocCommand(f"{name}:{prose[index][0]}", span, full=False))
    return found


def _walk(parser: argparse.ArgumentParser):
    """The parser and all its subcommand parsers."""
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _walk(sub)


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction | None:
    return next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)


def samic_parser() -> argparse.ArgumentParser:
    """The real `samic` parser, taking only full option names (as the docs should write them)."""
    parser = build_parser()
    for p in _walk(parser):
        p.allow_abbrev = False
    return parser


def sambox_parser() -> argparse.ArgumentParser:
    """The real `sambox` parser (sambox/__main__.py builds it inside parse_args)."""
    import sambox.__main__ as sambox_main

    with mock.patch.object(argparse.ArgumentParser, "parse_args", autospec=True) as parse:
        sambox_main.parse_args([])
    parser = parse.call_args.args[0]
    parser.allow_abbrev = False
    return parser


def _is_placeholder(value: str) -> bool:
    """FOLDER, MODEL, K, N, or a single letter such as fold `i`: a value the reader fills in."""
    return bool(re.fullmatch(r"[A-Z][A-Z0-9_]*(\.\w+)?|[a-z]", value))


def _check_value(prog: str, option: str, action: argparse.Action, value: str) -> list[str]:
    """Each literal alternative (`a|b`) of an option's value must be one of its choices."""
    if action.choices is None or _is_placeholder(value) or not value:
        return []
    allowed = {str(c) for c in action.choices}
    return [
        f"{prog} {option}: {alt!r} is not one of {sorted(allowed)}"
        for alt in value.split("|")
        if alt and alt not in allowed and not _is_placeholder(alt)
    ]


def check_names(parser: argparse.ArgumentParser, words: list[str]) -> list[str]:
    """Problems with the subcommands, option names and choice values of `words`."""
    problems: list[str] = []
    sub = _subparsers(parser)
    i = 0
    while i < len(words):
        word = words[i].strip("[]")
        i += 1
        if word in ("", "...", "…"):
            continue
        if word.startswith("-") and not re.fullmatch(r"-\d[\d.]*", word):
            option, eq, value = word.partition("=")
            action = parser._option_string_actions.get(option)
            if action is None:
                problems.append(f"{parser.prog}: unknown option {option}")
                continue
            if eq:
                problems += _check_value(parser.prog, option, action, value)
            elif action.nargs != 0:
                # one value (nargs None / '?') or several ('+' / '*'): up to the next option
                while i < len(words) and not words[i].lstrip("[").startswith("-"):
                    problems += _check_value(parser.prog, option, action, words[i].strip("[]"))
                    i += 1
                    if action.nargs in (None, "?"):
                        break
            continue
        if sub is not None:
            if word not in sub.choices:
                return problems + [f"{parser.prog}: unknown subcommand {word!r}"]
            parser, sub = sub.choices[word], _subparsers(sub.choices[word])
    return problems


def parse_fully(parser: argparse.ArgumentParser, words: list[str]) -> str | None:
    """argparse's error message for `words`, or None when they parse."""
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr):
            parser.parse_args(words)
    except SystemExit as e:
        if e.code:
            return stderr.getvalue().strip().splitlines()[-1]
    return None


def make_targets() -> set[str]:
    """The targets the Makefile defines."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([A-Za-z][\w-]*)\s*:(?!=)", text, flags=re.M))


def check(command: DocCommand) -> list[str]:
    """What is wrong with one documented command (an empty list when nothing is)."""
    program, *words = shlex.split(command.text)
    if program == "make":
        missing = [w for w in words if "=" not in w and w not in make_targets()]
        return [f"make: no target {w!r} in the Makefile" for w in missing]
    unresolved = [w for w in words if "$" in w]
    if unresolved:
        return [f"shell variables this file never sets: {unresolved}"]
    parser = samic_parser() if program == "samic" else sambox_parser()
    problems = check_names(parser, words)
    if not problems and command.full:
        error = parse_fully(parser, words)
        if error:
            problems.append(error)
    return problems


COMMANDS = [c for path in DOC_FILES for c in extract(path)]


@pytest.mark.parametrize("command", COMMANDS, ids=[f"{c.where} {c.text[:60]}" for c in COMMANDS])
def test_documented_command_parses(command: DocCommand) -> None:
    """Each command in the README and docs names only subcommands and options that exist."""
    if command.where in SKIP:
        pytest.skip(f"in the explicit skip list: {command.where}")
    assert check(command) == [], f"{command.where}: {command.text}"


def test_the_readme_commands_are_found() -> None:
    """The extraction sees the README's quickstart (so the parametrised test is not empty)."""
    readme = [c for c in COMMANDS if c.where.startswith("README.md:")]
    subcommands = {c.text.split()[1] for c in readme if c.text.startswith("samic ")}
    assert {"weights", "train", "predict", "export"} <= subcommands
    assert any(c.text.startswith("sambox ") for c in readme)
    assert sum(c.full for c in COMMANDS) >= 30


@pytest.mark.parametrize(
    ("text", "full", "problem"),
    [
        ("samic trian photos/ --out m.samic", True, "unknown subcommand 'trian'"),
        ("samic train photos/ --out m.samic --epoch 3", True, "unknown option --epoch"),
        ("samic export photos/ --format coco|pdf --out X", False, "'pdf' is not one of"),
        ("samic weights fetch vit_b", True, "unknown subcommand 'fetch'"),
        ("samic weights download vit_x", True, "invalid choice: 'vit_x'"),
        ("samic weights download", True, "required"),
        ("sambox photos/ --device cpu", True, "unknown option --device"),
        ("make no-such-target", False, "no target 'no-such-target'"),
    ],
)
def test_the_check_rejects_what_does_not_exist(text: str, full: bool, problem: str) -> None:
    """The checker itself catches a misspelt subcommand, option, choice or make target."""
    problems = check(DocCommand("example", text, full))
    assert any(problem in p for p in problems), problems


def test_extraction_joins_continuations_and_substitutes_variables(tmp_path: Path) -> None:
    """A backslash-continued command in a loop, with a variable, comes out as one line."""
    doc = tmp_path / "docs" / "probe.md"
    doc.parent.mkdir()
    text = (
        "Run `samic model-info --model FILE` first.\n\n"
        '```sh\nTRAIN="--device cpu --schedule paper"\nfor f in 0 1; do\n'
        "  samic train work/f$f \\\n      --out m$f.samic $TRAIN   # comment\ndone\n```\n"
    )
    doc.write_text(text, encoding="utf-8")
    found = extract(doc, root=tmp_path)
    assert [(c.text, c.full) for c in found] == [
        ("samic train work/f0 --out m0.samic --device cpu --schedule paper", True),
        ("samic model-info --model FILE", False),
    ]
    assert found[0].where == "docs/probe.md:6"


def _table_rows(path: Path) -> set[tuple[str, ...]]:
    """The cells of every Markdown table row in a file (header and separator rows included)."""
    rows = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("|") and line.rstrip().endswith("|"):
            rows.add(tuple(cell.strip() for cell in line.strip()[1:-1].split("|")))
    return rows


def test_the_key_table_is_the_apps() -> None:
    """docs/app.md's key table has one row per binding of sambox/keymap.py, as F1 shows them."""
    from sambox.keymap import BINDINGS

    expected = {(" / ".join(b.keys), b.text.replace("&", ""), b.help) for b in BINDINGS}
    documented = {row for row in _table_rows(ROOT / "docs" / "app.md") if len(row) == 3}
    documented -= {("Keys", "Action", "Notes"), ("---", "---", "---")}
    documented = {row for row in documented if not row[0].startswith("**")}
    assert expected - documented == set(), "bindings missing from docs/app.md"
    assert documented - expected == set(), "rows in docs/app.md that sambox/keymap.py lacks"


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    """Every heading anchor of a Markdown file (outside code blocks; repeats get -1, -2 ...)."""
    seen: dict[str, int] = {}
    in_code = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_code = not in_code
        elif not in_code and (m := re.match(r"#{1,6}\s+(.*)", line)):
            base = _anchor(m.group(1))
            seen[base] = seen.get(base, -1) + 1
            if seen[base]:
                seen[f"{base}-{seen[base]}"] = 0
    return set(seen)


@pytest.mark.parametrize("path", DOC_FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_local_links_resolve(path: Path) -> None:
    """Every relative link and image of README.md and docs/*.md names a file (and heading) that
    exists, so moving a section between pages cannot leave a dead link behind."""
    text = path.read_text(encoding="utf-8")
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists():
            broken.append(target)
            continue
        if anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
            broken.append(target)
    assert broken == []
