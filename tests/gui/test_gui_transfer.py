"""File > Export / Import dialogs run the core export and import in a worker."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
from gui_helpers import WAIT_MS
from PySide6.QtCore import Qt

from sambox.services.transfer_service import TransferService
from sambox.widgets.transfer_dialogs import (
    EXPORT_FORMATS,
    IMPORT_FORMATS,
    ExportDialog,
    ImportDialog,
)
from samic_core.annotation import AnnotatedObject, AnnotationStore, ImageAnnotation, Point
from samic_core.export import EXPORT_FORMATS as CORE_EXPORT
from samic_core.export import IMPORT_FORMATS as CORE_IMPORT


def _annotate(folder: Path) -> None:
    store = AnnotationStore(folder)
    for name, label in (("a.png", "leaf"), ("b.png", "leaf")):
        h, w = (240, 320)
        mask = np.zeros((h, w), np.uint16)
        mask[60:120, 40:140] = 1
        mask[80:100, 70:100] = 0  # a hole
        obj = AnnotatedObject(id=1, label=label, points=[Point(x=50, y=70)], score=0.9)
        ann = ImageAnnotation(
            image=name,
            image_sha256=store.image_sha256(folder / name),
            width=w,
            height=h,
            objects=[obj],
        )
        store.save(ann, mask)


def test_dialog_formats_are_the_core_formats():
    assert set(EXPORT_FORMATS) == set(CORE_EXPORT)
    assert set(IMPORT_FORMATS) == set(CORE_IMPORT)


def test_export_dialog_writes_coco(qtbot, image_folder: Path, tmp_path: Path):
    _annotate(image_folder)
    transfer = TransferService()
    dialog = ExportDialog(transfer, image_folder)
    qtbot.addWidget(dialog)
    dialog.format.setCurrentIndex(dialog.format.findData("coco"))
    out = tmp_path / "coco_out"
    dialog.out.setText(str(out))
    with qtbot.waitSignal(transfer.finished, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert dialog.report.images == 2 and dialog.report.objects == 2
    assert "Exported 2 images, 2 objects" in dialog.status.text()
    files = list(out.rglob("*.json"))
    assert files and "annotations" in json.loads(files[0].read_text())
    assert dialog.run_button.isEnabled() and dialog.close_button.isEnabled()
    transfer.wait()


def test_export_failure_is_shown_and_writes_nothing(qtbot, image_folder: Path, tmp_path: Path):
    _annotate(image_folder)
    (image_folder / "b.png").unlink()  # an annotated image has gone missing
    transfer = TransferService()
    dialog = ExportDialog(transfer, image_folder)
    qtbot.addWidget(dialog)
    out = tmp_path / "out"
    dialog.out.setText(str(out))
    with qtbot.waitSignal(transfer.failed, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert "b.png" in dialog.status.text() and "Nothing was written" in dialog.status.text()
    assert not out.exists() or not any(out.iterdir())
    transfer.wait()


def test_import_dialog_brings_labelme_back(qtbot, image_folder: Path, tmp_path: Path):
    from samic_core.export import export_folder

    _annotate(image_folder)
    export_folder(image_folder, "labelme", tmp_path / "lm")
    target = tmp_path / "fresh"
    target.mkdir()
    for name in ("a.png", "b.png"):
        shutil.copy(image_folder / name, target / name)
    transfer = TransferService()
    dialog = ImportDialog(transfer, target)
    qtbot.addWidget(dialog)
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert "Choose the file or folder" in dialog.status.text()  # nothing started
    dialog.format.setCurrentIndex(dialog.format.findData("labelme"))
    dialog.src.setText(str(tmp_path / "lm"))
    with qtbot.waitSignal(transfer.finished, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert "Imported 2 objects into 2 images" in dialog.status.text()
    loaded = AnnotationStore(target).load("a.png")
    original = AnnotationStore(image_folder).load("a.png")
    np.testing.assert_array_equal(loaded.instances > 0, original.instances > 0)
    assert loaded.annotation.objects[0].source == "manual"
    transfer.wait()


def test_file_menu_export_and_import_from_the_window(qtbot, window, image_folder: Path, tmp_path):
    """Ctrl+E / Ctrl+I open the dialogs on the open folder; import reloads what is shown."""
    from gui_helpers import key, open_folder

    _annotate(image_folder)
    open_folder(qtbot, window, image_folder)
    key(qtbot, window, "Ctrl+E")
    dialog = window.transfer.dialog
    assert isinstance(dialog, ExportDialog) and dialog.folder == image_folder
    dialog.format.setCurrentIndex(dialog.format.findData("labelme"))
    dialog.out.setText(str(tmp_path / "lm"))
    with qtbot.waitSignal(window.transfer.transfer.finished, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    dialog.reject()
    # the third image has no annotation: give it one through File > Import
    lm = json.loads((tmp_path / "lm" / "a.json").read_text())
    lm["imagePath"] = "c.png"
    lm["imageHeight"], lm["imageWidth"] = 300, 200
    for shape in lm["shapes"]:
        shape["points"] = [[min(x, 190), min(y, 290)] for x, y in shape["points"]]
    src = tmp_path / "lm_c"
    src.mkdir()
    (src / "c.json").write_text(json.dumps(lm))
    key(qtbot, window, "Ctrl+I")
    dialog = window.transfer.dialog
    assert isinstance(dialog, ImportDialog)
    dialog.format.setCurrentIndex(dialog.format.findData("labelme"))
    dialog.src.setText(str(src))
    with qtbot.waitSignal(window.transfer.transfer.finished, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert "Imported 1 objects into 1 images" in dialog.status.text()
    qtbot.waitUntil(lambda: window.project.statuses.get("c.png") is not None, timeout=WAIT_MS)
    assert AnnotationStore(image_folder).exists("c.png")
    assert window.project.read_status("c.png").name != "NOT_STARTED"
    dialog.reject()
