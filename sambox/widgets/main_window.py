"""The main window: composition and wiring only; behaviour lives in the controllers.

Later features add a toolbar action with `add_tool_action` and a dock with `add_panel`
(e.g. a Train SAMIC dialog, auto-annotation, a review panel) without touching this file.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEventLoop, Qt
from PySide6.QtGui import QAction, QCloseEvent, QColor
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSlider,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from sambox.controllers.class_colors import ClassColors
from sambox.controllers.protocols import DownloaderLike
from sambox.controllers.session import CANCEL, DISCARD, SAVE, Session
from sambox.model.document import Document
from sambox.widgets.actions import make_actions
from sambox.widgets.canvas import Canvas
from sambox.widgets.classes_panel import ClassesPanel
from sambox.widgets.confidence_bar import ConfidenceBar
from sambox.widgets.dialogs import SettingsDialog, ShortcutsDialog, show_error
from sambox.widgets.image_list import ImageList
from sambox.widgets.mask_overlay import MaskOverlay
from sambox.widgets.mask_tools_ui import MaskToolsUI
from sambox.widgets.menus import MENUS, TOOLBAR
from sambox.widgets.model_banner import ModelBanner
from sambox.widgets.model_setup import ModelSetup
from sambox.widgets.objects_panel import ObjectsPanel
from samic_core.raster import Raster

if TYPE_CHECKING:  # these import this module: they build on the window
    from sambox.widgets.clip_ui import ClipUI
    from sambox.widgets.sam_status import SamStatus
    from sambox.widgets.samic_ui import SamicUI
    from sambox.widgets.transfer_ui import TransferUI

RIGHT = Qt.DockWidgetArea.RightDockWidgetArea


class MainWindow(QMainWindow):
    """The window and what it carries: the session and its controllers, the panels, and the
    feature UIs that build on it."""

    # the action of each id (sambox/widgets/actions.py); deliberately shadows QWidget.actions(),
    # which nothing here uses
    actions: dict[str, QAction]  # type: ignore[assignment]
    # the feature UIs: the composition root (sambox/app.py) attaches them once the window
    # exists, since each builds its actions, docks and dialogs on it
    sam_status: SamStatus
    samic: SamicUI
    transfer: TransferUI
    clips: ClipUI

    def __init__(self, session: Session, downloader: DownloaderLike | None = None) -> None:
        super().__init__()
        self.session, self.settings = session, session.settings
        self.project, self.editor, self.service = session.project, session.editor, session.service
        self.downloader = downloader
        self.class_colors = ClassColors(self.project, self)
        self.setWindowTitle("SAMBOX")
        self.resize(1440, 900)
        self._build()
        self._wire()
        self.model_setup = ModelSetup(self, downloader)  # the banner, downloads, "SAM: …"
        self.mask_tools = MaskToolsUI(self)
        session.ask_save = self._ask_save
        session.ask_stop = self._ask_stop

    # ---- layout ------------------------------------------------------------------------------
    def _build(self) -> None:
        self.actions = make_actions(self)
        self.canvas = Canvas()
        self.overlay = MaskOverlay(self.canvas)
        self.editor.view_region = self.canvas.visible_region  # zoomed in: tile decodes
        self.banner = ModelBanner()
        self.confidence = ConfidenceBar()
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.banner)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.confidence)
        self.setCentralWidget(central)
        self.image_list = ImageList()
        self.objects_panel = ObjectsPanel()
        self.classes_panel = ClassesPanel()
        self.add_panel("Images", self.image_list, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.add_panel("Objects", self.objects_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self.add_panel("Classes", self.classes_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self.menus = {}
        for title, ids in MENUS.items():
            menu = self.menus[title] = self.menuBar().addMenu(title)
            for i in ids:
                menu.addSeparator() if i is None else menu.addAction(self.actions[i])
        self.toolbar = QToolBar("Tools")
        self.toolbar.setObjectName("tools")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
        self.addToolBar(self.toolbar)
        for i in TOOLBAR:
            self.toolbar.addSeparator() if i is None else self.toolbar.addAction(self.actions[i])
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setFixedWidth(110)
        self.opacity.setValue(round(self.settings.overlay_opacity * 100))
        self.opacity.setToolTip("Mask overlay opacity (Shift+[ and Shift+])")
        self.toolbar.addWidget(QLabel("  Opacity "))
        self.toolbar.addWidget(self.opacity)
        self.canvas.set_overlay_opacity(self.settings.overlay_opacity)
        self.status_text = QLabel()
        self.embed_progress = QProgressBar()
        self.embed_progress.setMaximumWidth(260)
        self.embed_progress.setFormat("Embedding %v / %m")
        self.embed_cancel = QPushButton("Stop")
        self.embed_cancel.setToolTip("Stop pre-computing embeddings (images still embed on demand)")
        self.model_label = QLabel("SAM: not loaded")
        self.zoom_label = QLabel()
        bar = self.statusBar()
        bar.addWidget(self.status_text, 1)
        for w in (self.embed_progress, self.embed_cancel, self.zoom_label, self.model_label):
            bar.addPermanentWidget(w)
        self.embed_progress.hide()
        self.embed_cancel.hide()

    def add_panel(
        self,
        title: str,
        widget: QWidget,
        area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea,
    ) -> QDockWidget:
        """Dock `widget` under `title` (used by later features such as review / training)."""
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{title.lower()}")
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.addDockWidget(area, dock)
        return dock

    def add_tool_action(self, action: QAction, menu: str | None = None) -> None:
        """Put `action` on the toolbar (and in the menu named `menu`, created when missing)."""
        self.addAction(action)
        self.toolbar.addAction(action)
        if menu is not None:
            if menu not in self.menus:
                self.menus[menu] = self.menuBar().addMenu(menu)
            self.menus[menu].addAction(action)

    # ---- wiring ------------------------------------------------------------------------------
    def _wire(self) -> None:
        a, ed, s = self.actions, self.editor, self.session
        self.canvas.point_clicked.connect(ed.add_point)
        self.canvas.box_drawn.connect(lambda x0, y0, x1, y1: ed.set_box((x0, y0, x1, y1)))
        self.canvas.zoom_changed.connect(lambda z: self.zoom_label.setText(f"{z * 100:.0f}%"))
        self.canvas.view_changed.connect(  # a big image: its overlay is drawn for the view
            lambda: self.overlay.show(self.editor.doc, self._colours())
        )
        triggers = {
            "open_folder": self.choose_folder,
            "save": s.save,
            "settings": self.open_settings,
            "quit": self.close,
            "undo": ed.undo,
            "redo": ed.redo,
            "new_object": ed.new_object,
            "delete_object": ed.delete_object,
            "clear_object": lambda: self.mask_tools.escape(),  # leaves a tool first
            "delete_point": ed.delete_last_point,
            "next_candidate": lambda: ed.cycle_candidate(1),
            "prev_candidate": lambda: ed.cycle_candidate(-1),
            "next_image": lambda: s.step(+1),
            "prev_image": lambda: s.step(-1),
            "done_next": s.mark_done_and_next,
            "toggle_done": lambda: ed.set_done(not (ed.doc and ed.doc.state.done)),
            "zoom_in": lambda: self.canvas.zoom_by(1.25),
            "zoom_out": lambda: self.canvas.zoom_by(0.8),
            "fit": self.canvas.fit,
            "opacity_down": lambda: self._nudge_opacity(-10),
            "opacity_up": lambda: self._nudge_opacity(+10),
            "shortcuts": self.show_shortcuts,
        }
        for name, fn in triggers.items():
            a[name].triggered.connect(lambda _=False, f=fn: f())
        a["toggle_masks"].toggled.connect(self.canvas.set_overlay_visible)
        for k in range(1, 10):
            a[f"class_{k}"].triggered.connect(lambda _=False, k=k: self._pick_class_key(k))
        self.opacity.valueChanged.connect(self._set_opacity)
        self.image_list.image_activated.connect(s.open_image)
        self.objects_panel.object_selected.connect(ed.select_object)
        self.objects_panel.new_requested.connect(ed.new_object)
        self.objects_panel.delete_requested.connect(ed.delete_object)
        self.confidence.candidate_chosen.connect(self._choose_candidate)
        self.classes_panel.class_chosen.connect(ed.set_label)
        self.classes_panel.add_requested.connect(self.project.add_class)
        self.classes_panel.rename_requested.connect(self._rename_class)
        self.classes_panel.remove_requested.connect(lambda c: self.project.remove_class(c, ed.doc))
        self.classes_panel.color_requested.connect(self.class_colors.set_color)
        self.class_colors.changed.connect(self._colors_changed)
        self.class_colors.error.connect(self.report_error)
        ed.changed.connect(self.redraw)
        ed.message.connect(self.show_message)
        s.message.connect(self.show_message)
        self.project.message.connect(self.show_message)
        self.project.document_grew.connect(self.redraw)
        for src in (ed.error, s.error, self.project.error):
            src.connect(self.report_error)
        s.image_opened.connect(self._image_opened)
        self.project.folder_opened.connect(self._folder_opened)
        self.project.status_changed.connect(self.image_list.set_status)
        self.project.classes_changed.connect(self._classes_changed)
        self.service.folder_progress.connect(self._embed_progress)
        self.service.folder_finished.connect(self._embed_finished)
        self.service.embedding_ready.connect(
            lambda path, _cached: self.image_list.set_embedded(Path(path).name)
        )
        self.embed_cancel.clicked.connect(self.service.cancel_folder)

    # ---- reactions ---------------------------------------------------------------------------
    def redraw(self) -> None:
        """Redraw everything that depends on the open document."""
        doc = self.editor.doc
        objs = doc.objects if doc else ()
        current = doc.state.current_id if doc else None
        colours = self._colours()
        self.objects_panel.set_objects(objs, current, colours)
        cur = doc.current if doc else None
        self.confidence.show_object(cur, colour=colours.get(cur.id) if cur else None)
        self.classes_panel.set_active(self.editor.active_label)
        self.actions["toggle_done"].setText(
            "Mark Not Done" if doc and doc.state.done else "Mark Done"
        )
        self.overlay.show(doc, colours)
        points, boxes = [], []
        for o in objs:
            is_cur = o.id == current
            points += [(x, y, p, is_cur) for x, y, p in o.points]
            if o.box is not None:
                boxes.append((o.box, QColor(*colours[o.id]), is_cur))
        self.canvas.set_prompts(points, boxes)
        self.actions["undo"].setEnabled(self.editor.history.undo_label is not None)
        self.actions["redo"].setEnabled(self.editor.history.redo_label is not None)

    def _colours(self) -> dict[int, tuple]:
        doc = self.editor.doc
        return {o.id: self.class_colors.rgb(o.label) for o in (doc.objects if doc else ())}

    def _image_opened(self, doc: Document | None, raster: Raster | None) -> None:
        self.overlay.reset()
        self.canvas.set_image(raster)
        self.image_list.set_current(doc.name if doc else None)
        folder = self.project.folder.name if self.project.folder else ""
        self.setWindowTitle(f"{doc.name} — {folder} — SAMBOX" if doc else "SAMBOX")
        if doc is not None:
            lock = f"  (read-only: {doc.locked})" if doc.locked else ""
            self.show_message(f"{doc.name}: {doc.width}×{doc.height}{lock}")
        self.redraw()

    def _folder_opened(self, folder: Path) -> None:
        self.image_list.set_images(self.project.statuses)
        for p in self.project.images:
            if self.service.is_embedded(p):
                self.image_list.set_embedded(p.name)

    def _colors_changed(self) -> None:
        self.classes_panel.set_classes(list(self.project.classes), self.class_colors.all())
        self.classes_panel.set_active(self.editor.active_label)
        self.redraw()

    def _classes_changed(self, classes: list[str]) -> None:
        self.classes_panel.set_classes(classes, self.class_colors.all())
        if self.editor.active_label not in classes and classes:
            self.editor.active_label = classes[0]
        self.redraw()

    def _embed_progress(self, done: int, total: int, name: str) -> None:
        self.embed_progress.setRange(0, total)
        self.embed_progress.setValue(done)
        self.embed_progress.setVisible(done < total)
        self.embed_cancel.setVisible(done < total)
        self.image_list.set_embedded(name)

    def _embed_finished(self, done: int, total: int) -> None:
        self.embed_progress.hide()
        self.embed_cancel.hide()

    def _choose_candidate(self, k: int) -> None:
        obj = self.editor.current
        if obj is not None:
            base = obj.candidate if obj.candidate is not None else (obj.result_candidate or 0)
            if k != base:
                self.editor.cycle_candidate(k - base)

    def _pick_class_key(self, k: int) -> None:
        label = self.classes_panel.class_for_key(k)
        if label is not None:
            self.editor.set_label(label)

    def _rename_class(self, old: str, new: str) -> None:
        if self.project.rename_class(old, new):
            self.class_colors.rename(old, new)
            if self.editor.doc is not None:
                self.editor.rename_label(old, new)

    def _set_opacity(self, value: int) -> None:
        self.settings.overlay_opacity = value / 100
        self.canvas.set_overlay_opacity(value / 100)

    def _nudge_opacity(self, delta: int) -> None:
        self.opacity.setValue(max(0, min(100, self.opacity.value() + delta)))

    # ---- dialogs -----------------------------------------------------------------------------
    def show_message(self, text: str) -> None:
        self.status_text.setText(text)

    def report_error(self, text: str) -> None:
        show_error(self, text)

    def show_shortcuts(self) -> None:
        ShortcutsDialog(self).open()

    def choose_folder(self) -> None:
        start = str(self.project.folder or self.settings.last_folder or Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Open image folder", start)
        if folder:
            self.session.open_folder(Path(folder))

    def open_settings(self) -> None:
        dialog = SettingsDialog(self.settings, self)
        if dialog.exec() and dialog.apply(self.settings):
            self.session.start_engine()

    def _ask_save(self, name: str) -> str:
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self,
            "Unsaved changes",
            f"Save the changes to {name}?",
            buttons.Save | buttons.Discard | buttons.Cancel,
            buttons.Save,
        )
        return {buttons.Save: SAVE, buttons.Discard: DISCARD}.get(answer, CANCEL)

    def _hide_now(self) -> None:
        """Take the window off the screen at once (quitting waits for background work)."""
        self.hide()
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)

    def _ask_stop(self, busy: list[str]) -> bool:
        """Closing while a background job runs (training, auto-annotation, export): stop it?"""
        answer = QMessageBox.question(self, "Still working", " ".join(busy) + "\n\nStop and close?")
        return answer == QMessageBox.StandardButton.Yes

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.session.close(saved=self._hide_now):
            self.settings.sync()
            event.accept()
        else:
            event.ignore()
