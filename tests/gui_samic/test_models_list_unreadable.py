"""The app's model list with damaged and hostile files in annotations/models/: every readable
model is listed, every unreadable file is shown greyed out with the reason, none stops it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from samic_core.testing.model_files import (
    plain_meta,
    write_inflating_model,
    write_model_dict,
    write_model_pickle,
)

# (file name, how it is made, words its reason holds); newest first, so they come before the
# good model in the folder's order
SET_OF_A_LIST = b"\x80\x02cbuiltins\nset\n]]a\x85R."  # unpickling raises TypeError
HOSTILE = [
    ("int-classes", lambda p: write_model_dict(p, plain_meta(classes=[1, 2])), "'classes'"),
    ("text-size", lambda p: write_model_dict(p, plain_meta(image_size="224")), "'image_size'"),
    ("no-sha", lambda p: write_model_dict(p, plain_meta(backbone_sha256=None)), "'backbone_sha"),
    ("bomb", lambda p: write_inflating_model(p, 1 << 30), "would inflate to 1024 MiB"),
    ("payload", lambda p: write_model_pickle(p, SET_OF_A_LIST), "not a readable"),
    ("garbage", lambda p: p.write_bytes(b"not a zip"), "not a readable"),
]  # fmt: skip


@pytest.fixture
def models_folder(annotated_folder: Path, tiny_samic_model: Path) -> Path:
    """annotated_folder with the tiny model as good.samic and the hostile files, newer."""
    models = annotated_folder / "annotations" / "models"
    models.mkdir(parents=True, exist_ok=True)
    good = models / "good.samic"
    shutil.copy(tiny_samic_model, good)
    os.utime(good, (1_000_000_000, 1_000_000_000))
    for i, (name, make, _) in enumerate(HOSTILE):
        path = models / f"{name}.samic"
        make(path)
        os.utime(path, (2_000_000_000 - i, 2_000_000_000 - i))
    return annotated_folder


def _check_panel(panel) -> None:
    """good is the one model, active; each hostile file is a greyed entry naming its problem."""
    assert [m.name for m in panel.models] == ["good"]
    assert panel.active is not None and panel.active.name == "good"
    items = [panel.list.item(i) for i in range(panel.list.count())]
    assert len(items) == 1 + len(HOSTILE)
    assert items[0].text().startswith("good  ·  ")
    for item, (name, _, words) in zip(items[1:], HOSTILE, strict=True):
        assert item.text().startswith(f"{name}  ·  cannot be read"), item.text()
        assert words in item.toolTip() and f"{name}.samic" in item.toolTip(), item.toolTip()
        assert not item.flags() & Qt.ItemFlag.ItemIsEnabled  # greyed out
        assert not item.flags() & Qt.ItemFlag.ItemIsSelectable
    assert panel.problems.isVisibleTo(panel) and "6 model files" in panel.problems.text()


def test_unreadable_model_files_are_listed_greyed_and_hide_nothing(qtbot, models_folder: Path):
    from sambox.services.samic_service import SamicService
    from sambox.widgets.models_panel import ModelsPanel

    service = SamicService(engine=lambda: None)
    infos, unreadable = service.list_models(models_folder / "annotations")
    assert [m.name for m in infos] == ["good"]
    assert [u.name for u in unreadable] == [name for name, _, _ in HOSTILE]
    panel = ModelsPanel()
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.model_chosen):
        panel.set_models(infos, unreadable)
    _check_panel(panel)
    panel.list.itemClicked.emit(panel.list.item(1))  # a greyed entry chooses nothing
    assert panel.active is not None and panel.active.name == "good"
    service.shutdown()


def test_the_app_opens_a_folder_with_hostile_model_files(qtbot, settings, models_folder: Path):
    from sambox.app import build_window

    window = build_window(settings)
    qtbot.addWidget(window)
    window.session.open_folder(models_folder)
    _check_panel(window.samic.models_panel)
    assert window.actions["auto_annotate"].isEnabled()
