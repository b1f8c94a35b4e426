"""Class colours: automatic and stable, or chosen by the annotator (annotations/class_colors.json).

Automatic colour of a class = PALETTE[i % len(PALETTE)], where i is the class's position in
classes.json; classes.json lives in the folder, so the same folder shows the same colours on
every machine and in every session. A colour the annotator picked overrides it and is stored
in `class_colors.json` as {"class name": "#rrggbb"}. A damaged file (malformed, nested too
deeply, wrong types) is reported as a one-line AnnotationError naming it and is never rewritten:
a change is read, applied and written under the folder's lock, on the file as it is then.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from samic_core.annotation.layout import LOCK_FILENAME
from samic_core.errors import AnnotationError
from samic_core.fileio import atomic_write_json
from samic_core.filelock import file_lock

CLASS_COLORS_FILENAME = "class_colors.json"
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")

# Distinct, saturated colours that read on light and dark images (Tableau-like, colour-blind
# friendly first six).
PALETTE: tuple[str, ...] = (
    "#1f9bff",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#ffd400",
    "#17becf",
    "#e377c2",
    "#8c564b",
    "#bcbd22",
    "#7f7fff",
    "#ff9896",
)


def auto_color(index: int) -> str:
    """The automatic colour of the class at position `index` (0-based) in classes.json."""
    return PALETTE[index % len(PALETTE)]


def is_color(value: object) -> bool:
    """True for a '#rrggbb' string."""
    return isinstance(value, str) and bool(_HEX.match(value))


def to_rgb(color: str) -> tuple[int, int, int]:
    """'#rrggbb' -> (r, g, b); ValueError for anything else."""
    if not is_color(color):
        raise ValueError(f"not a #rrggbb colour: {color!r}")
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def load_class_colors(path: str | Path) -> dict[str, str]:
    """The chosen colours in `path`; {} when it does not exist; AnnotationError when damaged."""
    path = Path(path)
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise AnnotationError(path, f"malformed JSON ({str(e)[:200]})") from None
    except RecursionError:
        raise AnnotationError(path, "malformed JSON (nested too deeply)") from None
    if not isinstance(data, dict):
        raise AnnotationError(path, 'must be a JSON object {"class name": "#rrggbb"}')
    bad = [k for k, v in data.items() if not k or not is_color(v)]
    if bad:
        names = ", ".join(repr(k[:40]) for k in bad[:5])
        raise AnnotationError(path, f"colours must be '#rrggbb' strings; bad entries: {names}")
    return {k: v.lower() for k, v in data.items()}


def save_class_colors(path: str | Path, colors: dict[str, str]) -> None:
    """Write the chosen colours atomically (sorted by name, so diffs stay small)."""
    for name, color in colors.items():
        if not name or not is_color(color):
            raise ValueError(f"bad class colour {name!r}: {color!r}")
    atomic_write_json(path, {k: colors[k].lower() for k in sorted(colors)})


def update_class_colors(
    path: str | Path, change: Callable[[dict[str, str]], None]
) -> dict[str, str]:
    """Apply `change` to the colours in `path` as they are now and save them; the result.

    Read and write happen under the folder's lock, so a colour another window chose meanwhile
    is kept; a damaged file raises AnnotationError and is left exactly as it is.
    """
    path = Path(path)
    with file_lock(path.parent / LOCK_FILENAME):
        colors = load_class_colors(path)
        change(colors)
        save_class_colors(path, colors)
    return {k: v.lower() for k, v in colors.items()}


def class_colors(classes: list[str], chosen: dict[str, str]) -> dict[str, str]:
    """Every class's colour: the chosen one, else the automatic one for its position."""
    return {c: chosen.get(c) or auto_color(i) for i, c in enumerate(classes)}


def color_of(label: str, classes: list[str], chosen: dict[str, str]) -> str:
    """One label's colour; a label missing from classes.json gets a colour from its name."""
    if label in chosen:
        return chosen[label]
    if label in classes:
        return auto_color(classes.index(label))
    return auto_color(sum(label.encode("utf-8")) + len(classes))
