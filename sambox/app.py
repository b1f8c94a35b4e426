"""Composition root: build the services, controllers and main window, then show them."""

from __future__ import annotations

from pathlib import Path

from sambox.controllers.clip import ClipController
from sambox.controllers.editor import EditorController
from sambox.controllers.project import ProjectController
from sambox.controllers.review import ReviewController
from sambox.controllers.samic_jobs import AutoAnnotateController, TrainController
from sambox.controllers.session import Session
from sambox.controllers.transfer import TransferController
from sambox.services.clip_service import ClipService
from sambox.services.downloads import CheckpointDownloader
from sambox.services.sam_service import SamService
from sambox.services.samic_service import SamicService
from sambox.services.transfer_service import TransferService
from sambox.settings import AppSettings
from sambox.widgets.clip_ui import ClipUI
from sambox.widgets.main_window import MainWindow
from sambox.widgets.sam_status import SamStatus
from sambox.widgets.samic_ui import SamicUI
from sambox.widgets.transfer_ui import TransferUI


def build_window(settings: AppSettings) -> MainWindow:
    """A ready main window; call `window.session.start_engine()` and `open_folder` next."""
    service = SamService()
    project = ProjectController()
    editor = EditorController(service)
    session = Session(settings, service, project, editor)
    downloader = CheckpointDownloader()
    window = MainWindow(session, downloader)
    samic = SamicService(lambda: service.engine)
    review = ReviewController(session, samic)
    training = TrainController(samic)
    annotating = AutoAnnotateController(samic, review)
    transfer = TransferService()
    transfers = TransferController(session, transfer)
    clip_service = ClipService()
    clips = ClipController(session, clip_service)
    controllers = (project, editor, session, review, training, annotating, transfers, clips)
    for obj in (service, samic, transfer, clip_service, *controllers):
        obj.setParent(window)
    for background in (samic, transfer, downloader, clip_service):
        session.add_service(background)
    window.sam_status = SamStatus(window)
    window.samic = SamicUI(window, samic, review, training, annotating)
    window.transfer = TransferUI(window, transfers)
    window.clips = ClipUI(window, clips)
    return window


def start(window: MainWindow, folder: Path | None) -> None:
    """Load the engine (in the background) and open `folder` or the last one used."""
    window.session.start_engine()
    folder = folder or window.settings.last_folder
    if folder is not None and Path(folder).is_dir():
        window.session.open_folder(Path(folder))
