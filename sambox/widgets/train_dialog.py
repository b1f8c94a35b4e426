"""Train SAMIC on the open folder: what will be learned from, the options, live progress.

The dialog is modeless: closing it while a run is in progress only hides it (the run goes on,
reopening shows it again). Stop asks the trainer to finish its current step; the best epoch so
far is already saved, so stopping never loses the model. The run itself belongs to the
TrainController: this dialog shows its counts, progress and result and sends it the user's
requests (count, train, stop).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from sambox.controllers.samic_jobs import TrainController
from sambox.model.samic_info import (
    TrainOptions,
    TrainOutcome,
    default_model_name,
    schedule_entries,
)
from sambox.widgets.train_progress import TrainProgressPanel
from samic_core.config import (
    DEFAULT_DEVICE,
    DEFAULT_EPOCHS,
    DEFAULT_IMAGE_SIZE,
    DEVICES,
    EARLY_STOP,
    IMAGE_SIZES,
)
from samic_core.train.schedule import SCHEDULES

WEIGHTS_CHOICES = (
    ("ImageNet (torchvision, downloaded once)", "imagenet"),
    ("None: random backbone, for tests only", "none"),
    ("From a file…", "file"),
)
PIXEL_CUE_TIP = (
    "Also learn a small network on the pixels, which tells the object from look-alikes of its "
    "colour by shape and texture. On by default with the auto schedule; kept only where the "
    "validation images' prompts are better with it (docs/model.md, 'The pixel cue')"
)
RIGHT_ALIGNED = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
WARNING_STYLE = "QLabel { background: #fff4e0; color: #8a4b00; padding: 6px; border-radius: 4px; }"
ERROR_STYLE = "QLabel { background: #fde8e8; color: #9b1c1c; padding: 6px; border-radius: 4px; }"


def left_out_note(left_out: dict[str, int]) -> str:
    """Why objects with neither a click nor a mask are not counted (empty when there are none);
    an object drawn without a click is learnt at its mask's deepest point, so it counts."""
    if not left_out:
        return ""
    total = sum(left_out.values())
    listed = ", ".join(f"{n} of {c!r}" for c, n in left_out.items())
    return (
        f"\nNot counted: {total} object{'s' if total != 1 else ''} with neither a clicked point "
        f"nor a mask ({listed}), e.g. erased or painted over by other objects. Give each such "
        "object a left-click point, or draw its mask, to train on it."
    )


class TrainDialog(QDialog):
    weights_changed = Signal(str)  # "imagenet", "none" or a file path (remembered by the app)

    def __init__(
        self,
        jobs: TrainController,
        folder: Path,
        annotations_dir: Path,
        classes: list[str] | None = None,
        device: str = "auto",
        parent: QWidget | None = None,
        backbone_weights: str = "imagenet",
    ) -> None:
        """jobs: the app's TrainController; classes: the folder's class list (order of the
        table); backbone_weights: the choice to start with (the app passes the last one used)."""
        super().__init__(parent)
        self.jobs = jobs
        self.folder = Path(folder)
        self.annotations_dir = Path(annotations_dir)
        self._class_order = list(classes or [])
        self.counts: dict[str, tuple[int, int]] = {}
        self.left_out: dict[str, int] = {}
        self._weights_file: str | None = None
        self.setWindowTitle(f"Train SAMIC — {self.folder.name}")
        self.setModal(False)
        self._build(device)
        if backbone_weights in ("imagenet", "none") or Path(backbone_weights).is_file():
            self.set_weights(backbone_weights)
        jobs.counts_ready.connect(self._counts_ready)
        jobs.counts_failed.connect(self._show_error)
        jobs.progress.connect(self.run.show_progress)
        jobs.finished.connect(self._finished)
        jobs.failed.connect(self._failed)
        self.refresh()

    # ---- layout ------------------------------------------------------------------------------
    def _build(self, device: str) -> None:
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Class", "Images", "Objects"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setMaximumHeight(150)
        self.counts_note = QLabel("Counting annotated images…")
        self.counts_note.setWordWrap(True)
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(WARNING_STYLE)
        self.warning.hide()
        data = QGroupBox("Training data (manual objects and reviewed predictions)")
        dl = QVBoxLayout(data)
        dl.addWidget(self.table)
        dl.addWidget(self.counts_note)
        dl.addWidget(self.warning)

        self.name = QLineEdit(default_model_name(self.annotations_dir))
        self.name.setToolTip(f"Saved as {self.annotations_dir.name}/models/<name>.samic")
        self.epochs = QSpinBox(minimum=1, maximum=5000, value=DEFAULT_EPOCHS)
        self.epochs.setToolTip("Upper limit; training stops earlier when the loss stops improving")
        self.schedule = QComboBox()
        for name, text, tip in schedule_entries():
            self.schedule.addItem(text, name)
            self.schedule.setItemData(self.schedule.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.schedule.setToolTip("How long training runs and when it stops (docs/model.md)")
        self.patience = QSpinBox(minimum=0, maximum=100_000, value=0)
        self.patience.setToolTip("Stop when neither the loss nor the validation prompts have "
                                 "improved for this long")  # fmt: skip
        self.time_limit = QSpinBox(minimum=0, maximum=24 * 60, value=0)
        self.time_limit.setSuffix(" min")
        self.time_limit.setToolTip(
            "Stop before an epoch would end past this many minutes; the default limits runs on "
            "a CPU only"
        )
        self.pixel_cue = QCheckBox("Tell by shape and texture (pixel cue)")
        self.pixel_cue.setToolTip(PIXEL_CUE_TIP)
        self.schedule.currentIndexChanged.connect(self._schedule_changed)
        self._schedule_changed()
        self.image_size = QComboBox()
        for s in IMAGE_SIZES:
            self.image_size.addItem(f"{s} × {s}", s)
        self.image_size.setCurrentIndex(IMAGE_SIZES.index(DEFAULT_IMAGE_SIZE))
        self.image_size.setToolTip("Input size of the predictor; 224 as in the paper")
        self.device = QComboBox()
        self.device.addItems(DEVICES)
        self.device.setCurrentText(device if device in DEVICES else DEFAULT_DEVICE)
        self.weights = QComboBox()
        for text, value in WEIGHTS_CHOICES:
            self.weights.addItem(text, value)
        self.weights.setToolTip("The frozen ResNet-50 backbone's weights")
        self.weights.activated.connect(self._weights_chosen)
        options = QGroupBox("Options")
        form = QFormLayout(options)
        form.addRow("Model name", self.name)
        form.addRow("Epochs (at most)", self.epochs)
        form.addRow("Schedule", self.schedule)
        form.addRow("Early-stop patience", self.patience)
        form.addRow("Time limit", self.time_limit)
        form.addRow("Image size", self.image_size)
        form.addRow("Device", self.device)
        form.addRow("Backbone weights", self.weights)
        form.addRow("Look-alikes", self.pixel_cue)
        self._option_widgets = [
            self.table,
            self.name,
            self.epochs,
            self.schedule,
            self.patience,
            self.time_limit,
            self.image_size,
            self.device,
            self.weights,
            self.pixel_cue,
        ]

        self.run = TrainProgressPanel()

        self.train_button = QPushButton("Train")
        self.train_button.setDefault(True)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stops within a few seconds; the best epoch so far is kept")
        self.stop_button.setEnabled(False)
        self.close_button = QPushButton("Close")
        self.close_button.setToolTip("Training goes on in the background when this is closed")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for b in (self.train_button, self.stop_button, self.close_button):
            buttons.addWidget(b)
        self.train_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.close_button.clicked.connect(self.close)
        self.table.itemChanged.connect(lambda _item: self._update_warning())
        self.name.textChanged.connect(lambda _text: self._update_warning())

        left = QVBoxLayout()
        left.addWidget(data)
        left.addWidget(options)
        left.addStretch(1)
        body = QHBoxLayout()
        body.addLayout(left, 0)
        body.addWidget(self.run, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addLayout(buttons)
        self.resize(900, 520)

    # ---- training data -----------------------------------------------------------------------
    def refresh(self) -> None:
        """Count the training data again (called when the dialog is shown)."""
        if not self.running:
            self.counts_note.setText("Counting annotated images…")
            self.counts_note.show()
            self.train_button.setEnabled(False)
            self.jobs.request_counts(self.folder)

    def _counts_ready(
        self, folder: Path, counts: dict[str, tuple[int, int]], left_out: dict[str, int]
    ) -> None:
        if Path(folder) != self.folder:
            return
        self.counts, self.left_out = dict(counts), dict(left_out)
        order = [c for c in self._class_order if c in counts] + sorted(
            c for c in counts if c not in self._class_order
        )
        minimum = self.jobs.min_images_per_class
        ready = {c for c, (images, _) in counts.items() if images >= minimum}
        self.table.blockSignals(True)
        self.table.setRowCount(len(order))
        for row, c in enumerate(order):
            images, objects = counts[c]
            name = QTableWidgetItem(c)
            name.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
            tick = c in ready or not ready  # none ready: keep all, so the warning says why
            name.setCheckState(Qt.CheckState.Checked if tick else Qt.CheckState.Unchecked)
            cells = [name, QTableWidgetItem(str(images)), QTableWidgetItem(str(objects))]
            for col, cell in enumerate(cells):
                if col:
                    cell.setTextAlignment(RIGHT_ALIGNED)
                self.table.setItem(row, col, cell)
        self.table.blockSignals(False)
        n = len(counts)
        self.counts_note.setText(
            f"{n} class{'es' if n != 1 else ''} with annotated images; each class needs at "
            f"least {minimum} annotated images. Untick a class to leave it out."
            + left_out_note(self.left_out)
        )
        self.counts_note.setVisible(bool(counts) or bool(self.left_out))
        self._update_warning()

    def selected_classes(self) -> list[str]:
        out = []
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.checkState() == Qt.CheckState.Checked:
                out.append(item.text())
        return out

    def problems(self) -> list[str]:
        return self.jobs.problems(
            self.annotations_dir, self.counts, self.selected_classes(), self.name.text()
        )

    def _update_warning(self) -> None:
        problems = self.problems()
        self.warning.setText("\n".join(problems))
        self.warning.setStyleSheet(WARNING_STYLE)
        self.warning.setVisible(bool(problems))
        self.train_button.setEnabled(not problems and not self.running)

    def _show_error(self, text: str) -> None:
        self.warning.setText(text)
        self.warning.setStyleSheet(ERROR_STYLE)
        self.warning.show()

    def _weights_chosen(self, index: int) -> None:
        if self.weights.itemData(index) != "file":
            self.weights_changed.emit(self.weights.itemData(index))
            return
        path, _ = QFileDialog.getOpenFileName(
            self, "ResNet-50 state dict", "", "PyTorch weights (*.pth *.pt)"
        )
        if path:
            self._weights_file = path
            self.weights.setItemText(index, f"File: {Path(path).name}")
            self.weights_changed.emit(path)
        else:
            self.weights.setCurrentIndex(0)
            self.weights_changed.emit("imagenet")

    def set_weights(self, value: str) -> None:
        """Pick "imagenet", "none" or a state-dict path (the file choice without a dialog)."""
        if value in ("imagenet", "none"):
            self.weights.setCurrentIndex(self.weights.findData(value))
        else:
            self._weights_file = value
            i = self.weights.findData("file")
            self.weights.setItemText(i, f"File: {Path(value).name}")
            self.weights.setCurrentIndex(i)
        self.weights_changed.emit(value)

    def _schedule_changed(self) -> None:
        """Patience (0 = its default), time limit and pixel cue follow the chosen schedule."""
        c = EARLY_STOP[self.schedule.currentData()]
        self.patience.setSuffix(f" {c.unit}")
        self.patience.setSpecialValueText(f"default ({c.patience} {c.unit})")
        self.patience.setValue(0)
        limit = c.time_limit_min
        self.time_limit.setSpecialValueText(
            f"default ({limit:g} min on a CPU, none on a GPU)" if limit else "none"
        )
        self.time_limit.setValue(0)
        self.pixel_cue.setChecked(SCHEDULES[self.schedule.currentData()].pixel_cue)

    # ---- run ---------------------------------------------------------------------------------
    def options(self) -> TrainOptions:
        weights = str(self.weights.currentData())
        if weights == "file":  # start() refuses to run before a file is chosen
            weights = self._weights_file or ""
        return TrainOptions(
            folder=self.folder,
            name=self.name.text().strip(),
            classes=tuple(self.selected_classes()),
            epochs=self.epochs.value(),
            schedule=str(self.schedule.currentData()),
            patience=self.patience.value() or None,
            time_limit=float(self.time_limit.value()) or None,
            image_size=int(self.image_size.currentData()),
            device=self.device.currentText(),
            backbone_weights=weights,
            pixel_cue=self.pixel_cue.isChecked(),
        )

    def start(self) -> None:
        if self.running or self.problems():
            self._update_warning()
            return
        if self.weights.currentData() == "file" and not self._weights_file:
            self._show_error("Choose the backbone weights file first.")
            return
        options = self.options()
        if not self.jobs.start(options, self.annotations_dir):
            self._show_error("A training run is already in progress.")
            return
        self.warning.hide()
        self.run.start(options.schedule, options.patience)
        self._set_running(True)

    def stop(self) -> None:
        if self.running:
            self.jobs.cancel()
            self.stop_button.setEnabled(False)
            self.run.stopping()

    def _set_running(self, running: bool) -> None:
        for w in self._option_widgets:
            w.setEnabled(not running)
        self.stop_button.setEnabled(running)
        self.train_button.setEnabled(not running and not self.problems())

    def _finished(self, outcome: TrainOutcome) -> None:
        self._set_running(False)
        self.run.finish(outcome)
        self.name.setText(default_model_name(self.annotations_dir))
        self._update_warning()

    def _failed(self, text: str) -> None:
        self._set_running(False)
        self.run.fail()
        self._show_error(text)

    @property
    def running(self) -> bool:
        """Whether a training run is in progress (the controller's)."""
        return self.jobs.running
