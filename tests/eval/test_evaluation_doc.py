"""docs/evaluation.md's command blocks run as pasted: bash expands them (loops, `$VAR`,
`${t//,/_}`) with `samic` recording its arguments, and the recorded commands must parse with the
real CLI and only use models and training folders that an earlier command makes."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from samic_core.cli.main import build_parser

DOC = Path(__file__).resolve().parents[2] / "docs" / "evaluation.md"


def _sh_blocks(text: str) -> list[str]:
    return re.findall(r"^```sh\n(.*?)^```", text, flags=re.S | re.M)


def _run_blocks(blocks: list[str], log: Path) -> list[list[str]]:
    """Every `samic` command the blocks run, in order, as bash expands it."""
    script = "\n".join(
        [
            "set -euo pipefail",
            f'samic() {{ printf "%q " samic "$@" >> {shlex.quote(str(log))}; echo >> '
            f"{shlex.quote(str(log))}; }}",
            *blocks,
        ]
    )
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return [shlex.split(line) for line in log.read_text().splitlines() if line.strip()]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_evaluation_doc_commands_run_as_pasted(tmp_path):
    commands = _run_blocks(_sh_blocks(DOC.read_text(encoding="utf-8")), tmp_path / "log")
    assert len(commands) > 20
    parser = build_parser()
    made: set[Path] = set()
    models: list[Path] = []
    for argv in commands:
        try:
            args = parser.parse_args(argv[1:])
        except SystemExit:
            pytest.fail(f"does not parse: {shlex.join(argv)}")
        if args.command == "train":
            assert args.folder in made, f"nothing makes {args.folder}: {shlex.join(argv)}"
            models.append(args.out)
        if getattr(args, "model", None) is not None and args.command == "eval":
            assert args.model in made, f"nothing makes {args.model}: {shlex.join(argv)}"
        if args.command in ("to-sambox", "train", "synth"):
            made.add(args.out)
    assert len(set(models)) == len(models), "two trainings write one model file"
    assert not [m for m in models if "," in str(m)], "a loop value's commas left in a file name"
