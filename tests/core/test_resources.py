"""resources/ (icons, the default overlay palette): used by the app, shipped in the wheel."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from sambox.assets import icon_path, object_palette, resources_dir
from sambox.model.overlay import object_colour

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = ROOT / "resources"


def test_checkout_reads_the_top_level_folder() -> None:
    assert resources_dir() == RESOURCES
    assert icon_path("undo") == RESOURCES / "icons" / "undo.svg"
    assert icon_path("no_such_action") is None


def test_overlay_colours_come_from_the_palette_file() -> None:
    palette = object_palette()
    assert len(palette) >= 8 and all(len(c) == 3 for c in palette)
    assert object_colour(1) == palette[0]
    assert object_colour(len(palette) + 1) == palette[0]  # repeats


def test_installed_layout_is_found_without_the_checkout(tmp_path: Path) -> None:
    """An installed wheel puts resources/ at sambox/resources: assets finds them there."""
    pkg = tmp_path / "site" / "sambox"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    shutil.copy(ROOT / "sambox" / "assets.py", pkg / "assets.py")
    shutil.copytree(RESOURCES, pkg / "resources")
    code = "import sambox.assets as a; print(a.resources_dir()); print(a.icon_path('save'))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path / "site")},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == [str(pkg / "resources"), str(pkg / "resources" / "icons" / "save.svg")]


def _shipped(folder: Path) -> set[str]:
    return {
        "sambox/resources/" + p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file()
    }


def test_wheel_ships_every_resource(tmp_path: Path) -> None:
    """`pip wheel` of the project carries resources/ as sambox/resources (setup.py)."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for name in ("samic_core", "sambox", "resources"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    subprocess.run([*cmd, "-q", "-w", str(tmp_path / "dist"), str(src)], check=True)
    (wheel,) = (tmp_path / "dist").glob("samic-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert _shipped(RESOURCES) <= names
    assert "samic_core/py.typed" in names and "sambox/assets.py" in names
