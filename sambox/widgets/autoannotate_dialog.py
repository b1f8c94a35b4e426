"""Auto-annotate a set of images with a trained SAMIC model: which images, model, class, references.

The references default to the first 5 trusted images of the class (manual or reviewed, images
marked done first); the annotator may tick others. Predictions are written as "predicted, not
reviewed"; images with manual or reviewed objects are skipped by the core, never overwritten.
The batch itself belongs to the AutoAnnotateController: this dialog builds the request from the
user's choices, sends it there, and shows the batch's progress and result.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from sambox.controllers.samic_jobs import AutoAnnotateController
from sambox.model.samic_info import (
    AutoAnnotateOutcome,
    AutoAnnotateRequest,
    ModelInfo,
    peak_entries,
)
from samic_core.config import DEFAULT_PEAK_CHOICE, DEFAULT_SHOTS

UNANNOTATED, SELECTION, OTHER = "unannotated", "selection", "other"
ERROR_STYLE = "QLabel { background: #fde8e8; color: #9b1c1c; padding: 6px; border-radius: 4px; }"


PROGRESS_FORMAT = "%v / %m images"
ALL_CLASSES = "__all__"  # the Class choice that predicts every class of the model in one pass


class AutoAnnotateDialog(QDialog):
    peaks_changed = Signal(str)  # the prompt rule chosen (remembered by the app)

    def __init__(
        self,
        jobs: AutoAnnotateController,
        folder: Path,
        unannotated: list[str],
        selection: list[str],
        models: list[ModelInfo],
        active: Path | None = None,
        label: str | None = None,
        device: str = "auto",
        peaks: str = DEFAULT_PEAK_CHOICE,
        parent: QWidget | None = None,
    ) -> None:
        """jobs: the app's AutoAnnotateController; unannotated / selection: image names in
        `folder`."""
        super().__init__(parent)
        self.jobs = jobs
        self.folder = Path(folder)
        self.unannotated = list(unannotated)
        self.selection = list(selection)
        self._missing: list[str] = []  # classes without references ("All classes" only)
        self.models = list(models)
        self.device = device
        self.setWindowTitle(f"Auto-annotate — {self.folder.name}")
        self._build()
        self.peaks.setCurrentIndex(max(self.peaks.findData(peaks), 0))
        self.peaks.currentIndexChanged.connect(
            lambda: self.peaks_changed.emit(str(self.peaks.currentData()))
        )
        for m in self.models:
            self.model.addItem(f"{m.name}  ({m.created_local}; {', '.join(m.classes)})", m)
        if active is not None:
            i = next((k for k, m in enumerate(self.models) if m.path == active), 0)
            self.model.setCurrentIndex(i)
        self._model_changed(label)
        jobs.progress.connect(self._progress)
        jobs.finished.connect(self._finished)
        jobs.failed.connect(self._failed)

    # ---- layout ------------------------------------------------------------------------------
    def _build(self) -> None:
        self.scope = QButtonGroup(self)
        self.r_unannotated = QRadioButton(
            f"Unannotated images in this folder ({len(self.unannotated)})"
        )
        self.r_selection = QRadioButton(f"Selected images ({len(self.selection)})")
        self.r_other = QRadioButton("All images of another folder:")
        self.other_folder = QLineEdit()
        self.other_folder.setPlaceholderText("folder of images")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        for i, (r, key) in enumerate(
            (
                (self.r_unannotated, UNANNOTATED),
                (self.r_selection, SELECTION),
                (self.r_other, OTHER),
            )
        ):
            self.scope.addButton(r, i)
            r.setProperty("scope", key)
        self.r_selection.setEnabled(bool(self.selection))
        (
            self.r_unannotated if self.unannotated or not self.selection else self.r_selection
        ).setChecked(True)
        images = QGroupBox("Images")
        il = QVBoxLayout(images)
        il.addWidget(self.r_unannotated)
        il.addWidget(self.r_selection)
        other = QHBoxLayout()
        other.addWidget(self.r_other)
        other.addWidget(self.other_folder, 1)
        other.addWidget(browse)
        il.addLayout(other)
        note = QLabel("Images annotated by hand (or already reviewed) are never changed.")
        note.setStyleSheet("color: #555;")
        il.addWidget(note)

        self.model = QComboBox()
        self.label = QComboBox()
        self.one_prompt = QCheckBox("All points as one object per image")
        self.one_prompt.setToolTip(
            "Off: every predicted point is its own object (several instances per image)"
        )
        self.peaks = QComboBox()
        for name, text, tip in peak_entries():
            self.peaks.addItem(text, name)
            self.peaks.setItemData(self.peaks.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.peaks.setToolTip("How the predicted heat map becomes point prompts")
        form_box = QGroupBox("Model")
        form = QFormLayout(form_box)
        form.addRow("Model", self.model)
        form.addRow("Class", self.label)
        form.addRow("Prompts", self.peaks)
        form.addRow("", self.one_prompt)

        self.refs = QListWidget()
        self.refs.setMaximumHeight(130)
        self.refs_note = QLabel()
        self.refs_note.setWordWrap(True)
        refs_box = QGroupBox("References (K-shot)")
        rl = QVBoxLayout(refs_box)
        rl.addWidget(self.refs_note)
        rl.addWidget(self.refs)

        self.progress = QProgressBar()
        self.progress.setFormat(PROGRESS_FORMAT)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.start_button = QPushButton("Start")
        self.start_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.setToolTip("Stops after the image in progress; written files stay")
        self.close_button = QPushButton("Close")
        self.close_button.setToolTip(
            "Auto-annotation goes on in the background when this is closed "
            "(Auto-annotate… shows it again); Cancel stops it"
        )
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        for b in (self.start_button, self.cancel_button, self.close_button):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addWidget(images)
        layout.addWidget(form_box)
        layout.addWidget(refs_box)
        layout.addWidget(self.progress)
        layout.addLayout(buttons)
        self.model.currentIndexChanged.connect(lambda _i: self._model_changed())
        self.label.currentIndexChanged.connect(lambda _i: self._fill_references())
        self.refs.itemChanged.connect(lambda _item: self._refs_changed())
        self.start_button.clicked.connect(self.start)
        self.scope.idToggled.connect(lambda _id, _on: self._show_scope_count())
        self._show_scope_count()
        self.cancel_button.clicked.connect(self.jobs.cancel)
        self.close_button.clicked.connect(self.close)
        self.resize(560, 560)

    # ---- choices -----------------------------------------------------------------------------
    def current_model(self) -> ModelInfo | None:
        return self.model.currentData()

    def _model_changed(self, label: str | None = None) -> None:
        m = self.current_model()
        keep = label or self.label.currentText()
        keep_all = label is None and self.all_classes()
        self.label.blockSignals(True)
        self.label.clear()
        if m is not None:
            self.label.addItems(list(m.classes))
            if len(m.classes) > 1:
                self.label.addItem(f"All classes ({len(m.classes)}), in one pass", ALL_CLASSES)
            if keep_all and len(m.classes) > 1:
                self.label.setCurrentIndex(self.label.findData(ALL_CLASSES))
            elif keep in m.classes:
                self.label.setCurrentText(keep)
        self.label.blockSignals(False)
        self._fill_references()

    def all_classes(self) -> bool:
        """Whether the Class choice is every class of the model, in one pass."""
        return self.label.currentData() == ALL_CLASSES

    def _fill_references(self) -> None:
        self.refs.blockSignals(True)
        self.refs.clear()
        self.refs.setEnabled(not self.all_classes())
        if self.all_classes():  # each class gets its default references, as in `samic predict`
            m = self.current_model()
            classes = list(m.classes) if m is not None else []
            self._missing = [
                c for c in classes if not self.jobs.reference_candidates(self.folder, c)
            ]
            self.refs.blockSignals(False)
            self._refs_changed()
            return
        label = self.label.currentText()
        names = self.jobs.reference_candidates(self.folder, label)
        for k, name in enumerate(names):
            item = QListWidgetItem(name)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
            checked = k < DEFAULT_SHOTS
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            self.refs.addItem(item)
        self.refs.blockSignals(False)
        self._refs_changed()

    def references(self) -> list[str]:
        return [
            self.refs.item(i).text()
            for i in range(self.refs.count())
            if self.refs.item(i).checkState() == Qt.CheckState.Checked
        ]

    def _refs_changed(self) -> None:
        if self.all_classes():
            missing = self._missing  # found when the choice was made (_fill_references)
            if missing:
                self.refs_note.setText(
                    f"No image of {', '.join(map(repr, missing))} is annotated by hand or "
                    "reviewed in this folder; choose the other classes one at a time."
                )
            else:
                self.refs_note.setText(
                    f"Every class uses up to {DEFAULT_SHOTS} of its reviewed images as "
                    "references; each image is read and encoded once for all classes."
                )
            self.start_button.setEnabled(not missing and not self.running)
            return
        n, total = len(self.references()), self.refs.count()
        label = self.label.currentText()
        if total == 0:
            self.refs_note.setText(
                f"No image of {label!r} is annotated by hand or reviewed in this folder, so "
                "there is nothing to show the model what to look for."
            )
        else:
            self.refs_note.setText(
                f"K = {n} of {total} images with reviewed {label!r} objects (default: up to "
                f"{DEFAULT_SHOTS}). Each reference is compared with every target."
            )
        self.start_button.setEnabled(n > 0 and not self.running)

    def _show_scope_count(self) -> None:
        """Before a run the bar shows "0 / N images" for the chosen images, never Qt's 100."""
        button = self.scope.checkedButton()
        if self.running or button is None:
            return
        scope = button.property("scope")
        n = {UNANNOTATED: len(self.unannotated), SELECTION: len(self.selection)}.get(scope)
        self.progress.setValue(0)
        if n:
            self.progress.setRange(0, n)
            self.progress.setFormat(PROGRESS_FORMAT)
        else:
            self.progress.setRange(0, 1)
            self.progress.setFormat(
                "Images of the other folder" if scope == OTHER else "No images to annotate"
            )

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Images to auto-annotate", str(self.folder))
        if folder:
            self.other_folder.setText(folder)
            self.r_other.setChecked(True)

    def targets(self) -> tuple[Path, list[Path]]:
        """(folder whose annotations are written, image paths) for the chosen scope."""
        checked = self.scope.checkedButton()
        assert checked is not None  # an exclusive group that starts with one scope checked
        scope = checked.property("scope")
        if scope == UNANNOTATED:
            return self.folder, [self.folder / n for n in self.unannotated]
        if scope == SELECTION:
            return self.folder, [self.folder / n for n in self.selection]
        folder = Path(self.other_folder.text().strip()).expanduser()
        return folder, self.jobs.images_in(folder)

    def request(self) -> AutoAnnotateRequest | None:
        m = self.current_model()
        folder, images = self.targets()
        if m is None:
            self._error("Train a model first (Train SAMIC).")
            return None
        if self.r_other.isChecked() and not folder.is_dir():
            self._error(f"{folder}: not a folder.")
            return None
        if not images:
            self._error("There are no images to annotate in this choice.")
            return None
        every = self.all_classes()
        return AutoAnnotateRequest(
            model=m.path,
            label="" if every else self.label.currentText(),
            images=tuple(images),
            target_folder=folder,
            reference_folder=self.folder,
            references=() if every else tuple(self.references()),
            device=self.device,
            one_prompt=self.one_prompt.isChecked(),
            peaks=str(self.peaks.currentData()),
            all_classes=tuple(m.classes) if every else (),
        )

    def _error(self, text: str) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(ERROR_STYLE)

    # ---- run ---------------------------------------------------------------------------------
    def start(self) -> None:
        if self.running:
            return
        request = self.request()
        if request is None:
            return
        if not self.jobs.start(request):
            self._error("An auto-annotation is already in progress.")
            return
        self.status.setStyleSheet("")
        self.status.setText("Loading the model…")
        self.progress.setFormat(PROGRESS_FORMAT)
        self.progress.setRange(0, len(request.images))
        self.progress.setValue(0)
        self._set_running(True)

    def _set_running(self, running: bool) -> None:
        self.cancel_button.setEnabled(running)
        for w in (self.model, self.label, self.one_prompt, self.peaks, self.other_folder):
            w.setEnabled(not running)
        self.refs.setEnabled(not running and not self.all_classes())
        for b in self.scope.buttons():
            b.setEnabled(not running and (b is not self.r_selection or bool(self.selection)))
        if running:
            self.start_button.setEnabled(False)
        else:
            self._refs_changed()  # Start when there are references (or every class has some)

    @property
    def running(self) -> bool:
        """Whether a batch is in progress (the controller's)."""
        return self.jobs.running

    def _progress(self, done: int, total: int, name: str) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.status.setText(f"{name} done")

    def _finished(self, _request: AutoAnnotateRequest, outcome: AutoAnnotateOutcome) -> None:
        self._set_running(False)
        self.status.setStyleSheet("")
        text = outcome.summary()
        if outcome.failed:
            text += "\n" + "\n".join(f"{n}: {m}" for n, m in outcome.failed[:5])
        self.status.setText(text)

    def _failed(self, text: str) -> None:
        self._set_running(False)
        self._error(text)
