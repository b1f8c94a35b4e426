"""Controllers: the app's behaviour between the widgets and the services (no torch here).

ProjectController owns the folder, its annotation store and classes; EditorController edits
the open image's objects with undo/redo and keeps masks in step with prompts; Session moves
between images, autosaves and drives the SAM engine's lifecycle.
"""

from sambox.controllers.editor import EditorController
from sambox.controllers.project import ProjectController
from sambox.controllers.session import Session

__all__ = ["EditorController", "ProjectController", "Session"]
