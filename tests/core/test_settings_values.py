"""Settings and environment values (SAMIC_CACHE_MAX_GB, --cache-max-gb, the app's cache size
limit, SAMIC_HOME, SAMIC_CACHE_DIR): a bad value is one line naming the variable and the value,
never a traceback and never a silent reinterpretation (a negative limit is not a 0-byte cache)."""

from __future__ import annotations

from pathlib import Path

import pytest

from samic_core.cli.main import main
from samic_core.errors import SamicError
from samic_core.paths import checkpoints_dir, embeddings_dir
from samic_core.sam.cache import EmbeddingCache

BAD_GB = ["nan", "inf", "1e400", "-5", "-inf", "ten", "0x10"]


def _error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.strip()]


@pytest.mark.parametrize("value", BAD_GB)
def test_bad_cache_limit_in_the_environment_is_one_line_naming_it(tmp_path, monkeypatch, value):
    monkeypatch.setenv("SAMIC_CACHE_MAX_GB", value)
    with pytest.raises(SamicError) as e:
        EmbeddingCache(tmp_path)
    text = str(e.value)
    assert "SAMIC_CACHE_MAX_GB" in text and repr(value) in text and "\n" not in text


@pytest.mark.parametrize(("value", "gib"), [("0.5", 0.5), (" 2 ", 2.0), ("0", 0.0), ("", 10.0)])
def test_good_cache_limits_in_the_environment_are_used(tmp_path, monkeypatch, value, gib):
    monkeypatch.setenv("SAMIC_CACHE_MAX_GB", value)
    assert EmbeddingCache(tmp_path).max_bytes == int(gib * (1 << 30))


@pytest.mark.parametrize("max_bytes", [-1, float("nan"), float("inf")])
def test_cache_refuses_a_bad_byte_limit(tmp_path, max_bytes):
    with pytest.raises(SamicError, match="max_bytes"):
        EmbeddingCache(tmp_path, max_bytes=max_bytes)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["nan", "-5"])
def test_cli_with_a_bad_environment_limit_fails_in_one_line(
    image_folder, tiny_sam_checkpoint, monkeypatch, capsys, value
):
    monkeypatch.setenv("SAMIC_CACHE_MAX_GB", value)
    code = main(["embed", str(image_folder), "--checkpoint", str(tiny_sam_checkpoint)])
    lines = _error_lines(capsys.readouterr().err)
    assert code == 2 and len(lines) == 1, lines
    assert "SAMIC_CACHE_MAX_GB" in lines[0] and repr(value) in lines[0]


@pytest.mark.parametrize("value", ["nan", "inf", "1e400", "-5"])
def test_cli_flag_with_a_bad_limit_fails_in_one_line(
    image_folder, tiny_sam_checkpoint, capsys, value
):
    argv = ["embed", str(image_folder), "--checkpoint", str(tiny_sam_checkpoint)]
    code = main([*argv, "--cache-max-gb", value])
    lines = _error_lines(capsys.readouterr().err)
    assert code == 2 and len(lines) == 1, lines
    assert "--cache-max-gb" in lines[0] and str(float(value)) in lines[0]


def test_ray_spec_checks_the_flag_and_the_environment(monkeypatch):
    import argparse

    from samic_core.scale.ray_runtime import sam_spec

    args = argparse.Namespace(
        cache_max_gb=float("inf"), cache_dir=None, no_cache=False, model_type="auto",
        cache_dtype="float32",
    )  # fmt: skip
    with pytest.raises(SamicError, match="--cache-max-gb"):
        sam_spec(args, "ck.pth")
    args.cache_max_gb = None
    monkeypatch.setenv("SAMIC_CACHE_MAX_GB", "-5")
    with pytest.raises(SamicError, match="SAMIC_CACHE_MAX_GB"):
        sam_spec(args, "ck.pth")


@pytest.mark.parametrize("var", ["SAMIC_HOME", "SAMIC_CACHE_DIR"])
def test_unexpandable_home_folder_is_one_line_naming_the_variable(monkeypatch, var):
    monkeypatch.setenv(var, "~no_such_user_samic_test/cache")
    with pytest.raises(SamicError) as e:
        embeddings_dir()
    assert var in str(e.value) and "~no_such_user_samic_test" in str(e.value)


@pytest.mark.parametrize("var", ["SAMIC_HOME", "SAMIC_CACHE_DIR"])
def test_folder_variable_naming_a_file_is_one_line(tmp_path: Path, monkeypatch, var):
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv(var, str(tmp_path / "file"))
    with pytest.raises(SamicError) as e:
        embeddings_dir()
    assert var in str(e.value) and "not a folder" in str(e.value)


def test_cli_with_a_bad_home_fails_in_one_line(image_folder, monkeypatch, capsys):
    monkeypatch.setenv("SAMIC_HOME", "~no_such_user_samic_test")
    code = main(["embed", str(image_folder)])  # looks up the downloaded checkpoint
    lines = _error_lines(capsys.readouterr().err)
    assert code == 2 and len(lines) == 1 and "SAMIC_HOME" in lines[0], lines


def test_good_folder_variables_are_used(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("SAMIC_HOME", str(tmp_path / "home"))
    assert checkpoints_dir() == tmp_path / "home" / "checkpoints"
    monkeypatch.setenv("SAMIC_CACHE_DIR", str(tmp_path / "emb"))
    assert embeddings_dir() == tmp_path / "emb"


@pytest.mark.parametrize("stored", ["nan", "inf", "1e400", "-5", "ten"])
def test_bad_cache_limit_in_the_app_settings_is_reported_not_used(tmp_path, stored):
    from sambox.settings import AppSettings

    settings = AppSettings.from_file(tmp_path / "sambox.ini")
    settings.q.setValue("sam/cache_max_gb", stored)
    assert settings.cache_max_gb is None  # the default limit is used
    (problem,) = settings.problems()
    assert "sam/cache_max_gb" in problem and repr(stored) in problem and "\n" not in problem
    settings.cache_max_gb = 3.0
    assert settings.cache_max_gb == 3.0 and settings.problems() == []
    with pytest.raises(ValueError):
        settings.cache_max_gb = float("inf")


@pytest.mark.parametrize("stored", ["[" * 100_000 + "]" * 100_000, "{", "[1, 2]"])
def test_a_damaged_last_image_memo_is_only_forgotten(tmp_path, stored):
    """The app's memo of the image last shown per folder, damaged in the settings file, is
    only a lost shortcut: opening a folder neither fails nor keeps the damage."""
    from sambox.settings import AppSettings

    settings = AppSettings.from_file(tmp_path / "sambox.ini")
    settings.q.setValue("app/last_images", stored)
    assert settings.last_image(tmp_path) is None
    settings.remember_image(tmp_path, "a.png")
    assert settings.last_image(tmp_path) == "a.png"
