"""Clips in the main window: File > Open Video…, Video > Track Objects Through Clip…, and a
frame bar (slider, frame number) under the canvas when the open folder is a clip.

A clip is a folder of frames (a video's frames are extracted once into VIDEO.frames/); its
frames are the folder's images, so every image tool, the image list, D / A stepping and saving
work on frames as they do on images. Installed by the composition root.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QFileDialog, QLabel, QSlider, QToolBar

from sambox.controllers.clip import ClipController
from sambox.widgets.track_dialog import TrackDialog
from samic_core.video.clip import VIDEO_EXTENSIONS

if TYPE_CHECKING:
    from sambox.widgets.main_window import MainWindow

VIDEO_MENU = "&Video"


class ClipUI(QObject):
    """The clip actions, the frame bar and the tracking dialog of one window."""

    def __init__(self, window: MainWindow, clips: ClipController) -> None:
        """window: the MainWindow; clips: the ClipController of its session."""
        super().__init__(window)
        self.window, self.clips = window, clips
        self.project, self.session = window.project, window.session
        self.dialog: TrackDialog | None = None
        a = window.actions
        window.menus[VIDEO_MENU] = menu = window.menuBar().addMenu(VIDEO_MENU)
        for name in ("open_video", "track_clip"):
            menu.addAction(a[name])
        a["open_video"].triggered.connect(lambda: self.choose_video())
        a["track_clip"].triggered.connect(lambda: self.open_track_dialog())
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("The clip's frames (D / A step one frame)")
        self.position = QLabel()
        self.position.setMinimumWidth(110)
        self.bar = QToolBar("Frames")
        self.bar.setObjectName("frames")
        self.bar.addWidget(QLabel("  Frame "))
        self.bar.addWidget(self.slider)
        self.bar.addWidget(self.position)
        window.addToolBar(Qt.ToolBarArea.BottomToolBarArea, self.bar)
        window.insertToolBarBreak(self.bar)
        self.bar.hide()
        self.slider.valueChanged.connect(self._slid)
        self.project.folder_opened.connect(lambda _f: self._folder_opened())
        self.session.image_opened.connect(lambda doc, _rgb: self._image_opened(doc))
        clips.message.connect(window.show_message)
        clips.progress.connect(self._progress)
        clips.failed.connect(window.show_message)
        clips.finished.connect(self._finished)

    # ---- frame bar ---------------------------------------------------------------------------
    def _frames(self) -> list[Path]:
        return list(self.project.images)

    def _folder_opened(self) -> None:
        frames = self._frames()
        self.bar.setVisible(self.project.is_clip)
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, len(frames) - 1))
        self.slider.blockSignals(False)

    def _image_opened(self, doc: object) -> None:
        name = getattr(doc, "name", None)
        names = [p.name for p in self._frames()]
        if name in names:
            i = names.index(name)
            self.slider.blockSignals(True)
            self.slider.setValue(i)
            self.slider.blockSignals(False)
            self.position.setText(f"{i + 1} / {len(names)}  ({name})")

    def _slid(self, i: int) -> None:
        frames = self._frames()
        if 0 <= i < len(frames) and not self.session.open_image(frames[i].name):
            self._image_opened(self.window.editor.doc)  # the user kept the unsaved frame

    # ---- actions -----------------------------------------------------------------------------
    def choose_video(self) -> None:
        start = str(self.project.folder or self.window.settings.last_folder or Path.home())
        patterns = " ".join(f"*{e}" for e in VIDEO_EXTENSIONS)
        path, _ = QFileDialog.getOpenFileName(self.window, "Open video", start,
                                              f"Videos ({patterns})")  # fmt: skip
        if path:
            self.open_video(Path(path))

    def open_video(self, video: Path) -> None:
        """Extract the frames of `video` (once) and open them as a clip."""
        self.window.show_message(f"Reading the frames of {video.name}…")
        self.clips.open_video(video)

    def open_track_dialog(self) -> TrackDialog | None:
        folder = self.project.folder
        if not self.clips.prepare_track() or folder is None:  # prepare_track() says why
            return None
        active = self.window.samic.active_model if hasattr(self.window, "samic") else None
        model = active.path if active is not None else None
        sam2 = self.clips.engine_is_sam2()
        self.dialog = TrackDialog(self.clips, folder, len(self._frames()), sam2, model, self.window)
        self.dialog.open()
        return self.dialog

    def _progress(self, done: int, total: int, name: str) -> None:
        if self.dialog is None or not self.dialog.isVisible():
            self.window.show_message(f"{name}: {done} / {total} frames")

    def _finished(self, kind: str, result: object) -> None:
        if kind == "extract":
            self.window.show_message(f"Opened the clip {Path(str(result)).name}.")
