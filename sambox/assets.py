"""The app's non-code assets (icons, the default overlay palette) from the top-level resources/.

An installed wheel carries them as the package data `sambox.resources` (setup.py maps the
folder there, so they sit in site-packages/sambox/resources); a source checkout reads the
top-level `resources/` itself.
Plain Python, no Qt: widgets turn `icon_path` into a QIcon, sambox.model reads the palette.
The bottom layer of sambox (the standard library only), so every other layer may use it.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

PALETTE_FILE = "palette.json"


@cache
def resources_dir() -> Path:
    """The folder holding icons/ and palette.json: the installed package data
    (site-packages/sambox/resources), else the checkout's top-level resources/."""
    here = Path(__file__).resolve().parent
    for folder in (here / "resources", here.parent / "resources"):
        if (folder / PALETTE_FILE).is_file():
            return folder
    raise FileNotFoundError(f"SAMBOX's resources are missing (looked in {here / 'resources'})")


def icon_path(name: str) -> Path | None:
    """`resources/icons/<name>.svg`, or None when the action has no icon."""
    path = resources_dir() / "icons" / f"{name}.svg"
    return path if path.is_file() else None


@cache
def object_palette() -> tuple[tuple[int, int, int], ...]:
    """The overlay's default object colours as RGB tuples (resources/palette.json)."""
    data = json.loads((resources_dir() / PALETTE_FILE).read_text(encoding="utf-8"))
    return tuple((int(h[1:3], 16), int(h[3:5], 16), int(h[5:7], 16)) for h in data["object_colors"])
