"""The open folder's class colours: automatic (palette by classes.json order) or chosen.

Chosen colours persist in annotations/class_colors.json through samic_core.annotation.colors.
A damaged file is reported and ignored; while it is damaged (checked again at every change, on
the file as it is then), new choices apply for this session only and the file is not
overwritten, so nothing the user wrote is lost silently. A change is merged into the file under
the folder's lock, so colours another window chose meanwhile are kept.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from sambox.controllers.project import ProjectController
from samic_core.annotation.colors import (
    CLASS_COLORS_FILENAME,
    color_of,
    is_color,
    load_class_colors,
    to_rgb,
    update_class_colors,
)
from samic_core.errors import AnnotationError

RGB = tuple[int, int, int]


class ClassColors(QObject):
    changed = Signal()  # some class's colour changed: redraw
    error = Signal(str)

    def __init__(self, project: ProjectController, parent: QObject | None = None) -> None:
        """project: the ProjectController (its folder, store and classes)."""
        super().__init__(parent)
        self.project = project
        self.chosen: dict[str, str] = {}
        self.damaged: str | None = None  # why class_colors.json was not read
        project.folder_opened.connect(lambda _folder: self.load())
        project.classes_changed.connect(lambda _classes: self.changed.emit())

    @property
    def path(self) -> Path | None:
        store = self.project.store
        return None if store is None else Path(store.dir) / CLASS_COLORS_FILENAME

    def load(self) -> None:
        """Read the open folder's chosen colours; a damaged file is reported and left alone."""
        self.chosen, self.damaged = {}, None
        path = self.path
        if path is not None:
            try:
                self.chosen = load_class_colors(path)
            except AnnotationError as e:
                self.damaged = str(e)
                self.error.emit(
                    f"{e}\nThe file was left as it is; automatic class colours are used until "
                    "it is fixed or removed."
                )
        self.changed.emit()

    def color(self, label: str) -> str:
        """'#rrggbb' of `label` (chosen, else automatic)."""
        return color_of(label, list(self.project.classes), self.chosen)

    def rgb(self, label: str) -> RGB:
        """`label`'s colour as (r, g, b)."""
        return to_rgb(self.color(label))

    def all(self) -> dict[str, str]:
        """Every class's colour, in classes.json order."""
        return {c: self.color(c) for c in self.project.classes}

    def set_color(self, label: str, color: str) -> bool:
        """Choose `label`'s colour and save it; False (and an error) when it was not saved."""
        if not is_color(color):
            return False
        color = color.lower()
        self.chosen[label] = color
        self.changed.emit()
        return self._save(lambda colors: colors.__setitem__(label, color))

    def rename(self, old: str, new: str) -> None:
        """Carry a renamed class's chosen colour over to its new name (in the file too)."""
        if old in self.chosen:
            self.chosen[new] = self.chosen.pop(old)
            self._save(lambda colors: _rename(colors, old, new))
        self.changed.emit()

    def _save(self, change: Callable[[dict[str, str]], None]) -> bool:
        """Apply `change` to the file as it is now; a damaged file is reported, never written."""
        path = self.path
        if path is None:
            return False
        try:
            merged = update_class_colors(path, change)
        except AnnotationError as e:
            self.damaged = str(e)
            self.error.emit(
                f"{e}\nSo the colour is used in this session only and the file is not "
                "overwritten. Fix or remove the file to keep chosen colours."
            )
            return False
        except (OSError, ValueError) as e:
            self.error.emit(f"{path}: cannot save class colours ({e})")
            return False
        self.damaged = None
        if any(self.chosen.get(k) != v for k, v in merged.items()):
            self.chosen.update(merged)  # colours chosen elsewhere meanwhile
            self.changed.emit()
        return True


def _rename(colors: dict[str, str], old: str, new: str) -> None:
    """Move `old`'s colour to `new` in `colors` (the file's current contents)."""
    if old in colors:
        colors[new] = colors.pop(old)
