"""SAMIC in the app on SAM 2.1: Suggest Prompts and Auto-annotate run the same core functions
with the SAM 2.1 engine (tiny random Hiera model) as with SAM 1."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import Qt
from samic_gui_helpers import IMAGE_PX, WAIT_MS, open_window
from test_samic_autoannotate import make_dialog
from test_samic_loop import press

from samic_core.annotation import AnnotationStore


def test_suggest_and_auto_annotate_on_sam2(
    qtbot, settings, annotated_folder: Path, tiny_samic_model: Path, tiny_sam2_checkpoint: Path
):
    settings.checkpoint = tiny_sam2_checkpoint
    models = AnnotationStore(annotated_folder).dir / "models"
    models.mkdir()
    shutil.copy(tiny_samic_model, models / "tiny.samic")
    w = open_window(qtbot, settings, annotated_folder)
    assert w.service.model_id.startswith("sam2.1_custom-")
    w.session.open_image("new_000.png")
    with qtbot.waitSignal(w.samic.review.suggested, timeout=WAIT_MS) as blocker:
        press(qtbot, w, "P")
    assert blocker.args[0] >= 1
    for o in w.editor.doc.objects:
        assert o.source == "predicted" and o.mask is not None
        assert o.mask.shape == (IMAGE_PX, IMAGE_PX)
    dialog = make_dialog(qtbot, w.samic.samic, annotated_folder, tiny_samic_model)
    with qtbot.waitSignal(dialog.jobs.finished, timeout=WAIT_MS) as done:
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    _, outcome = done.args
    assert set(outcome.written) | set(outcome.empty) == {"new_000.png", "new_001.png"}
    assert outcome.written, "the tiny model finds something in at least one image"
    store = AnnotationStore(annotated_folder)
    for name in outcome.written:
        assert store.load(name).annotation.sam_model.startswith("sam2.1_custom-")
    w.close()
