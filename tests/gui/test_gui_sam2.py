"""The app on SAM 2.1 (tiny random Hiera model): clicks, negatives, box, candidates (Tab),
confidence and brush corrections work as they do on SAM 1, and the engine is picked in
Settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from gui_helpers import (
    WAIT_MS,
    click,
    key,
    make_window,
    open_folder,
    points_of,
    start_engine,
    view_pos,
)
from PySide6.QtCore import Qt

from sambox.model.mask_edit import stroke_mask
from sambox.settings import AppSettings
from sambox.widgets.dialogs import SettingsDialog
from sambox.widgets.main_window import MainWindow

LEFT, RIGHT, NONE = (
    Qt.MouseButton.LeftButton,
    Qt.MouseButton.RightButton,
    Qt.KeyboardModifier.NoModifier,
)


@pytest.fixture
def window2(
    qtbot, settings: AppSettings, image_folder: Path, tiny_sam2_checkpoint
) -> Iterator[MainWindow]:
    settings.checkpoint = tiny_sam2_checkpoint
    settings.model_type = "auto"  # the file says SAM 2.1
    w = make_window(qtbot, settings)
    start_engine(qtbot, w)
    open_folder(qtbot, w, image_folder)
    yield w
    w.close()


def test_prompts_candidates_and_corrections_on_sam2(qtbot, window2):
    w = window2
    assert w.service.model_id.startswith("sam2.1_custom-")
    first = click(qtbot, w, 80, 120)
    obj = w.editor.current
    assert obj.mask is not None and obj.mask.shape == (240, 320)
    assert (
        len(obj.candidate_scores) == 3 and f"{first.score:.3f}" in w.confidence.score_label.text()
    )
    second = click(qtbot, w, 230, 110, RIGHT)
    assert second.request.mask_input is first.low_res and second.candidate is None
    assert points_of(w.editor.current) == [(80, 120, True), (230, 110, False)]
    key(qtbot, w, "N")  # a second object, prompted with a box
    vp = w.canvas.viewport()
    ctrl = Qt.KeyboardModifier.ControlModifier
    with qtbot.waitSignal(w.editor.decoded, timeout=WAIT_MS):
        qtbot.mousePress(vp, LEFT, ctrl, view_pos(w, 50, 90))
        qtbot.mouseMove(vp, view_pos(w, 80, 120))
        qtbot.mouseRelease(vp, LEFT, ctrl, view_pos(w, 110, 150))
    assert w.editor.current.box is not None and w.editor.current.mask is not None
    key(qtbot, w, "N")
    lone = click(qtbot, w, 160, 60)
    with qtbot.waitSignal(w.editor.decoded, timeout=WAIT_MS) as blocker:
        key(qtbot, w, "Tab")
    assert blocker.args[0].candidate == (lone.candidate + 1) % 3
    before = w.editor.current.mask.copy()
    key(qtbot, w, "B")  # a brush stroke corrects the SAM 2.1 mask by hand
    w.canvas.tools.set_radius(6)
    qtbot.mousePress(vp, LEFT, NONE, view_pos(w, 250, 200))
    qtbot.mouseMove(vp, view_pos(w, 290, 200))
    qtbot.mouseRelease(vp, LEFT, NONE, view_pos(w, 290, 200))
    p0, p1 = (w.canvas.mapToScene(view_pos(w, x, 200)) for x in (250, 290))
    painted = stroke_mask(
        before.shape, [(round(p0.x()), round(p0.y())), (round(p1.x()), round(p1.y()))], 6
    )
    assert np.array_equal(w.editor.current.mask, before | painted)
    assert len(w.editor.doc.objects) == 3


def test_settings_offer_every_engine_by_name(qtbot, settings: AppSettings):
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    names = [dialog.model_type.itemData(i) for i in range(dialog.model_type.count())]
    assert names[0] == "auto" and "vit_b" in names and "sam2.1_hiera_t" in names
    i = dialog.model_type.findData("sam2.1_hiera_t")
    assert "SAM 2.1 hiera_t" in dialog.model_type.itemText(i)
    dialog.model_type.setCurrentIndex(i)
    assert dialog.apply(settings)  # another engine: the app reloads it
    assert settings.model_type == "sam2.1_hiera_t"
    again = SettingsDialog(settings)
    qtbot.addWidget(again)
    assert again.model_type.currentData() == "sam2.1_hiera_t"
