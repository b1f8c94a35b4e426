"""SAMIC in the main window: Train SAMIC, Suggest Prompts, Auto-annotate, the review bar.

Installed by the composition root (sambox/app.py) on a finished MainWindow through its public
extension points (`actions`, `add_tool_action`, `add_panel`, `menus`); the behaviour lives in
ReviewController, TrainController and AutoAnnotateController, this class only connects them to
widgets.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QLabel, QMessageBox, QToolBar

from sambox.controllers.protocols import SamicServiceLike
from sambox.controllers.review import ReviewController
from sambox.controllers.samic_jobs import AutoAnnotateController, TrainController
from sambox.model.review import unreviewed_count
from sambox.model.samic_info import ModelInfo
from sambox.model.status import ImageStatus
from sambox.widgets.autoannotate_dialog import AutoAnnotateDialog
from sambox.widgets.models_panel import ModelsPanel
from sambox.widgets.train_dialog import TrainDialog

if TYPE_CHECKING:
    from sambox.widgets.main_window import MainWindow

SAMIC_MENU = "&SAMIC"
SUGGEST_ANYWAY, USE_TRAINED, CANCEL_SUGGEST = "anyway", "use trained", "cancel"
TOOLBAR_ACTIONS = ("train_samic", "suggest_prompts", "auto_annotate")
REVIEW_ACTIONS = ("accept_review", "reject_review", "next_unreviewed", "prev_unreviewed")


class SamicUI(QObject):
    """The SAMIC actions, the models dock, the review bar and the two dialogs of one window."""

    def __init__(
        self,
        window: MainWindow,
        samic: SamicServiceLike,
        review: ReviewController,
        training: TrainController,
        annotating: AutoAnnotateController,
    ) -> None:
        """window: the MainWindow; samic: a SamicService (its models); review, training and
        annotating: the controllers of reviewing, Train SAMIC and Auto-annotate."""
        super().__init__(window)
        self.window, self.samic, self.review = window, samic, review
        self.training, self.annotating = training, annotating
        self.session, self.project, self.editor = window.session, window.project, window.editor
        self.train_dialog: TrainDialog | None = None
        self.annotate_dialog: AutoAnnotateDialog | None = None
        self._untrained_ok: set[tuple[Path, str]] = set()
        self._build()
        self._wire()

    # ---- layout ------------------------------------------------------------------------------
    def _build(self) -> None:
        w, a = self.window, self.window.actions
        self.models_panel = ModelsPanel()
        self.models_dock = w.add_panel("SAMIC models", self.models_panel)
        w.toolbar.addSeparator()
        for name in TOOLBAR_ACTIONS:
            w.add_tool_action(a[name], SAMIC_MENU)
        menu = w.menus[SAMIC_MENU]
        menu.addSeparator()
        for name in REVIEW_ACTIONS:
            menu.addAction(a[name])
        self.order_action = QAction("Least Certain First", w)
        self.order_action.setCheckable(True)
        self.order_action.setToolTip(
            "Order the images by SAMIC's confidence: images whose weakest prediction has the "
            "lowest SAM score come first"
        )
        menu.addAction(self.order_action)
        self.review_label = QLabel()
        self.review_label.setContentsMargins(6, 0, 12, 0)
        self.review_bar = QToolBar("Review")
        self.review_bar.setObjectName("review")
        self.review_bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.review_bar.addWidget(self.review_label)
        for name in REVIEW_ACTIONS[:3]:
            self.review_bar.addAction(a[name])
        self.review_bar.addSeparator()
        self.review_bar.addAction(self.order_action)
        w.addToolBar(Qt.ToolBarArea.BottomToolBarArea, self.review_bar)
        # several images may be chosen for "Auto-annotate > selected images"
        w.image_list.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.update_review_bar()
        self.refresh_models()

    def _wire(self) -> None:
        a, w = self.window.actions, self.window
        a["train_samic"].triggered.connect(lambda: self.open_train_dialog())
        a["suggest_prompts"].triggered.connect(lambda: self.suggest())
        a["auto_annotate"].triggered.connect(lambda: self.open_autoannotate_dialog())
        a["accept_review"].triggered.connect(lambda: self.review.accept())
        a["reject_review"].triggered.connect(lambda: self.review.reject())
        a["next_unreviewed"].triggered.connect(lambda: self.review.next_unreviewed(+1))
        a["prev_unreviewed"].triggered.connect(lambda: self.review.next_unreviewed(-1))
        self.order_action.toggled.connect(self.review.set_confidence_order)
        self.models_panel.train_requested.connect(self.open_train_dialog)
        self.models_panel.annotate_requested.connect(self.open_autoannotate_dialog)
        self.review.message.connect(w.show_message)
        self.review.error.connect(w.report_error)
        self.review.order_changed.connect(self._order_changed)
        self.samic.models_changed.connect(self.refresh_models)
        self.training.model_trained.connect(self._model_trained)
        self.annotating.progress.connect(self._annotate_progress)
        self.project.folder_opened.connect(self._folder_opened)
        self.project.status_changed.connect(lambda *_: self.update_review_bar())
        self.editor.changed.connect(self.update_review_bar)

    # ---- models ------------------------------------------------------------------------------
    def refresh_models(self) -> None:
        store = self.project.store
        infos, problems = self.samic.list_models(store.dir) if store is not None else ([], [])
        self.models_panel.set_models(infos, problems)
        self.window.actions["suggest_prompts"].setEnabled(bool(infos))
        self.window.actions["auto_annotate"].setEnabled(bool(infos))

    @property
    def active_model(self) -> ModelInfo | None:
        return self.models_panel.active

    def _folder_opened(self, _folder: Path) -> None:
        if self.train_dialog is not None and not self.training.running:
            self.train_dialog.close()
            self.train_dialog.deleteLater()
            self.train_dialog = None
        self.refresh_models()

    # ---- train -------------------------------------------------------------------------------
    def open_train_dialog(self) -> TrainDialog | None:
        store, folder = self.project.store, self.project.folder
        if store is None or folder is None:
            self.window.show_message("Open a folder of annotated images first.")
            return None
        old = self.train_dialog
        if old is not None and not self.training.running and old.folder != folder:
            old.deleteLater()  # made for the folder open before
            self.train_dialog = None
        if self.train_dialog is None:
            self.train_dialog = TrainDialog(
                self.training,
                folder,
                store.dir,
                classes=list(self.project.classes),
                device=self.window.settings.device,
                parent=self.window,
                backbone_weights=self.window.settings.backbone_weights,
            )
            self.train_dialog.weights_changed.connect(self._remember_weights)
        self.session.flush()  # what is on screen counts too
        self.train_dialog.refresh()
        self.train_dialog.show()
        self.train_dialog.raise_()
        return self.train_dialog

    def ask_untrained(self, model: ModelInfo, label: str) -> str:
        """The model never saw `label`: suggest anyway, use a class it knows, or cancel."""
        box = QMessageBox(self.window)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Class not trained")
        trained = ", ".join(repr(c) for c in model.classes)
        box.setText(
            f"The SAMIC model {model.name!r} was trained on {trained}, not on {label!r}. "
            f"Its suggestions for a class it has never seen are usually poor."
        )
        box.setInformativeText(
            f"Train SAMIC again with {label!r} objects to get good suggestions for it."
        )
        anyway = box.addButton(f"Suggest {label!r} anyway", QMessageBox.ButtonRole.AcceptRole)
        use = box.addButton(f"Use {model.classes[0]!r}", QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(use)
        box.exec()
        clicked = box.clickedButton()
        return (
            SUGGEST_ANYWAY
            if clicked is anyway
            else USE_TRAINED
            if clicked is use
            else CANCEL_SUGGEST
        )

    def _remember_weights(self, value: str) -> None:
        self.window.settings.backbone_weights = value

    def _model_trained(self, info: ModelInfo) -> None:
        self.refresh_models()
        self.models_panel.set_active(info.path)
        self.window.show_message(
            f"SAMIC model {info.name!r} is ready: Suggest Prompts (P) or Auto-annotate (Ctrl+B)."
        )

    # ---- suggest -----------------------------------------------------------------------------
    def suggest(self) -> bool:
        model = self.active_model
        label = self.editor.active_label
        if model is not None and model.classes and label not in model.classes:
            key = (model.path, label)
            if key not in self._untrained_ok:
                answer = self.ask_untrained(model, label)
                if answer == CANCEL_SUGGEST:
                    return False
                if answer == USE_TRAINED:
                    label = model.classes[0]
                    self.editor.set_label(label)
                else:
                    self._untrained_ok.add(key)
        return self.review.suggest(
            model.path if model is not None else None,
            label,
            self.window.settings.device,
            self.window.settings.samic_peaks,
        )

    # ---- auto-annotate -----------------------------------------------------------------------
    def open_autoannotate_dialog(self) -> AutoAnnotateDialog | None:
        folder = self.project.folder
        if self.project.store is None or folder is None:
            self.window.show_message("Open a folder first.")
            return None
        if self.annotate_dialog is not None and self.annotating.running:
            self.annotate_dialog.show()  # closed while running: it only hid
            self.annotate_dialog.raise_()
            return self.annotate_dialog
        self.session.flush()  # the open image's edits are saved before the batch looks at it
        unannotated = [n for n, s in self.project.statuses.items() if s == ImageStatus.NOT_STARTED]
        tree = self.window.image_list.tree
        selection = [item.text(0) for item in tree.selectedItems()]
        model = self.active_model
        label = self.editor.active_label
        if model is not None and label not in model.classes:
            label = model.classes[0] if model.classes else label
        if self.annotate_dialog is not None:
            self.annotate_dialog.deleteLater()
        self.annotate_dialog = AutoAnnotateDialog(
            self.annotating,
            folder,
            unannotated,
            selection,
            self.models_panel.models,
            active=model.path if model is not None else None,
            label=label,
            device=self.window.settings.device,
            peaks=self.window.settings.samic_peaks,
            parent=self.window,
        )
        self.annotate_dialog.peaks_changed.connect(self._remember_peaks)
        self.annotate_dialog.show()
        return self.annotate_dialog

    def _remember_peaks(self, peaks: str) -> None:
        self.window.settings.samic_peaks = peaks

    def _annotate_progress(self, done: int, total: int, _name: str) -> None:
        """The dialog was closed while it runs: its progress goes to the status bar."""
        if self.annotate_dialog is None or not self.annotate_dialog.isVisible():
            self.window.show_message(f"Auto-annotate: {done} / {total} images…")

    # ---- review bar --------------------------------------------------------------------------
    def update_review_bar(self) -> None:
        doc = self.editor.doc
        here = unreviewed_count(doc.state) if doc is not None else 0
        waiting = sum(1 for s in self.project.statuses.values() if s == ImageStatus.PREDICTED)
        if here and doc is not None:
            scores = [o.score for o in doc.objects if o.source == "predicted" and not o.reviewed]
            low = min((s for s in scores if s is not None), default=None)
            text = f"<b>Review:</b> {here} predicted object{'s' if here != 1 else ''} here"
            text += f" (lowest score {low:.2f})" if low is not None else ""
            text += f" · <i>{self._key('accept_review')}</i> accept, "
            text += f"<i>{self._key('reject_review')}</i> reject"
        else:
            text = "<b>Review:</b> nothing predicted on this image"
        text += f" · {waiting} image{'s' if waiting != 1 else ''} to review"
        text += f" (<i>{self._key('next_unreviewed')}</i> next)" if waiting else ""
        self.review_label.setText(text)
        a = self.window.actions
        a["accept_review"].setEnabled(here > 0 and doc is not None and not doc.locked)
        a["reject_review"].setEnabled(here > 0)
        a["next_unreviewed"].setEnabled(waiting > 0)
        a["prev_unreviewed"].setEnabled(waiting > 0)

    def _key(self, action: str) -> str:
        return (
            self.window.actions[action].shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        )

    def _order_changed(self) -> None:
        w = self.window
        w.image_list.set_images(self.project.statuses)
        for p in self.project.images:
            if w.service.is_embedded(p):
                w.image_list.set_embedded(p.name)
        w.image_list.set_current(self.session.current)
