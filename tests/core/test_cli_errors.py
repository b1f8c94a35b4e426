"""Bad input is refused before any work starts: exactly one line on stderr, `samic CMD: error:`
(the subcommand's name, argparse's own errors included), exit code 2, no progress bar drawn."""

from __future__ import annotations

from pathlib import Path

import pytest

from samic_core.cli.main import main


@pytest.fixture
def t(tmp_path: Path) -> Path:
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "empty").mkdir()
    (tmp_path / "garbage.samic").write_bytes(b"not a model")
    (tmp_path / "broken.json").write_text("{")
    return tmp_path


# (argv with {t} for the temporary folder, text the one error line must contain)
CASES = {
    "train a missing folder": (["train", "{t}/nope"], "{t}/nope"),
    "train a folder without annotations": (["train", "{t}/empty"], "{t}/empty"),
    "train --epochs 0": (["train", "{t}/empty", "--epochs", "0"], "at least 1"),
    "train --epochs abc": (["train", "{t}/empty", "--epochs", "abc"], "--epochs"),
    "train an unknown flag": (["train", "{t}/empty", "--bogus", "3"], "--bogus"),
    "train without FOLDER": (["train"], "FOLDER"),
    "export a missing folder": (
        ["export", "{t}/nope", "--format", "coco", "--out", "{t}/o"], "{t}/nope"),
    "export an unknown format": (
        ["export", "{t}/empty", "--format", "cvat", "--out", "{t}/o"], "cvat"),
    "export an unknown flag": (
        ["export", "{t}/empty", "--format", "coco", "--out", "{t}/o", "--zip"], "--zip"),
    "import a missing file": (
        ["import", "{t}/empty", "--format", "coco", "--from", "{t}/nope.json"], "{t}/nope.json"),
    "import broken JSON": (
        ["import", "{t}/empty", "--format", "coco", "--from", "{t}/broken.json"],
        "{t}/broken.json"),
    "import into a missing folder": (
        ["import", "{t}/nope", "--format", "coco", "--from", "{t}/broken.json"], "{t}/nope"),
    "predict a garbage model": (
        ["predict", "{t}/empty", "--model", "{t}/garbage.samic"], "{t}/garbage.samic"),
    "predict a missing model": (
        ["predict", "{t}/empty", "--model", "{t}/nope.samic"], "{t}/nope.samic"),
    "predict a missing folder": (["predict", "{t}/nope", "--model", "{t}/garbage.samic"],
                                 "{t}/nope"),
    "predict --shots 0": (
        ["predict", "{t}/empty", "--model", "{t}/garbage.samic", "--shots", "0"], "--shots"),
    "predict an unknown flag": (
        ["predict", "{t}/empty", "--model", "{t}/garbage.samic", "--fast"], "--fast"),
    "embed a missing folder": (["embed", "{t}/nope"], "{t}/nope"),
    "weights download into a file": (
        ["weights", "download", "vit_b", "--out", "{t}/file.txt", "--url", "http://127.0.0.1:9/x"],
        "{t}/file.txt"),
    "weights download an unknown flag": (["weights", "download", "vit_b", "--fast"], "--fast"),
}  # fmt: skip


def _run(argv: list[str]) -> int:
    """main's exit code, whether it returns it or argparse raises it."""
    try:
        return main(argv)
    except SystemExit as e:
        return int(e.code or 0)


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_line_and_exit_2(t: Path, capsys: pytest.CaptureFixture, case: str):
    argv, expected = CASES[case]
    argv = [a.replace("{t}", str(t)) for a in argv]
    code = _run(argv)
    err = capsys.readouterr().err
    lines = err.splitlines()
    command = " ".join(argv[:2]) if argv[0] == "weights" else argv[0]
    assert code == 2, err
    assert len(lines) == 1, err  # no progress bar, usage text or traceback before it
    assert lines[0].startswith(f"samic {command}: error: "), lines[0]
    assert expected.replace("{t}", str(t)) in lines[0]


def test_train_without_out_creates_nothing_when_refused(t: Path, capsys) -> None:
    assert _run(["train", str(t / "empty")]) == 2
    assert not (t / "empty" / "annotations").exists()


def test_a_closed_pipe_ends_quietly(tmp_path) -> None:
    """`samic model-info M | head`: the reader closed the pipe early; no error line, exit 0."""
    import subprocess
    import sys

    script = tmp_path / "long_output.py"
    script.write_text(
        "import sys\n"
        "import samic_core.cli.weights as w\n"
        "from samic_core.cli.main import main\n"
        "def many_lines(args):\n"
        "    for _ in range(200_000):\n"
        "        print('x' * 80)\n"
        "    return 0\n"
        "w.run_list = many_lines\n"
        "sys.exit(main(['weights', 'list']))\n"
    )
    proc = subprocess.run(
        f"'{sys.executable}' '{script}' | head -1; exit ${{PIPESTATUS[0]}}",
        shell=True, executable="/bin/bash", capture_output=True, text=True,
    )  # fmt: skip
    assert proc.stdout == "x" * 80 + "\n"
    assert proc.stderr == "" and proc.returncode == 0, proc.stderr


def test_a_broken_pipe_elsewhere_is_an_error(monkeypatch, capsys) -> None:
    """Only our own stdout's reader going away ends quietly; a broken pipe to a worker or a
    socket is an error line like any other OSError."""
    import samic_core.cli.weights as w
    from samic_core.cli.main import main

    def broken(args):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(w, "run_list", broken)
    assert main(["weights", "list"]) == 2
    assert capsys.readouterr().err == "samic weights list: error: Broken pipe\n"
