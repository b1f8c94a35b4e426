"""File > Export / Import dialogs run the core export and import in a worker."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
from gui_helpers import WAIT_MS
from PySide6.QtCore import Qt

from sambox.services.transfer_service import TransferService
from sambox.widgets.transfer_dialogs import ExportDialog, ImportDialog
from samic_core.annotation import AnnotatedObject, AnnotationStore, ImageAnnotation, Point
from samic_core.export import EXPORT_FORMATS, IMPORT_FORMATS
from samic_core.export.api import READERS, WRITERS
from samic_core.export.coco import COCO_SOURCE_DESCRIPTION
from samic_core.export.labelme import LABELME_SOURCE_DESCRIPTION


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


def _items(combo) -> list[tuple[str, str]]:
    return [(combo.itemData(i), combo.itemText(i)) for i in range(combo.count())]


def test_dialog_formats_and_descriptions_come_from_the_core(qtbot, tmp_path: Path, monkeypatch):
    """Each format the dialogs list, and the line describing it, is the core's: the
    description lives on the writer class (or beside the reader), not in the widget."""
    monkeypatch.setattr(WRITERS["yolo"], "description", "YOLO, described by its writer")
    transfer = TransferService()
    export = ExportDialog(transfer, tmp_path)
    qtbot.addWidget(export)
    assert [key for key, _ in _items(export.format)] == list(EXPORT_FORMATS)
    for key, text in _items(export.format):
        assert text == f"{key} — {WRITERS[key].description}"
    assert dict(_items(export.format))["yolo"] == "yolo — YOLO, described by its writer"
    imports = ImportDialog(transfer, tmp_path)
    qtbot.addWidget(imports)
    assert _items(imports.format) == [
        ("coco", f"coco — {COCO_SOURCE_DESCRIPTION}"),
        ("labelme", f"labelme — {LABELME_SOURCE_DESCRIPTION}"),
    ]
    assert list(IMPORT_FORMATS) == list(READERS) == ["coco", "labelme"]


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
    assert "Imported 1 object into 1 image" in dialog.status.text()
    qtbot.waitUntil(lambda: window.project.statuses.get("c.png") is not None, timeout=WAIT_MS)
    assert AnnotationStore(image_folder).exists("c.png")
    assert window.project.read_status("c.png").name != "NOT_STARTED"
    dialog.reject()
