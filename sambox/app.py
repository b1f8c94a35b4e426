"""Composition root: build the services, controllers and main window, then show them."""

from __future__ import annotations

from pathlib import Path

from sambox.controllers.editor import EditorController
from sambox.controllers.project import ProjectController
from sambox.controllers.session import Session
from sambox.services.downloads import CheckpointDownloader
from sambox.services.sam_service import SamService
from sambox.settings import AppSettings
from sambox.widgets.main_window import MainWindow


def build_window(settings: AppSettings) -> MainWindow:
    """A ready main window; call `window.session.start_engine()` and `open_folder` next."""
    service = SamService()
    project = ProjectController()
    editor = EditorController(service)
    session = Session(settings, service, project, editor)
    window = MainWindow(session, CheckpointDownloader())
    service.setParent(window)
    project.setParent(window)
    editor.setParent(window)
    session.setParent(window)
    return window


def start(window: MainWindow, folder: Path | None) -> None:
    """Load the engine (in the background) and open `folder` or the last one used."""
    window.session.start_engine()
    folder = folder or window.settings.last_folder
    if folder is not None and Path(folder).is_dir():
        window.session.open_folder(Path(folder))
