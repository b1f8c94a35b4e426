"""`python -m sambox.demo`: the folder it builds (images, annotations, a tiny random SAM, its own
settings with a random backbone chosen explicitly) and the app opening on it."""

from __future__ import annotations

import pytest
from gui_helpers import WAIT_MS

from sambox.__main__ import launch, parse_args
from sambox.demo import LABEL, N_ANNOTATED, N_IMAGES, app_args, build_demo, main
from sambox.settings import AppSettings
from samic_core.annotation import AnnotationStore
from samic_core.errors import SamicError
from samic_core.sam.loading import load_sam
from samic_core.train.episodes import count_left_out, scan_folder


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    built, fresh = build_demo(tmp_path_factory.mktemp("demo") / "samic-demo")
    assert fresh
    return built


def test_the_demo_folder_loads_with_the_real_code(demo) -> None:
    store = AnnotationStore(demo.images)
    images = store.images()
    assert len(images) == N_IMAGES
    annotated = [p.name for p in images if store.exists(p.name)]
    assert len(annotated) == N_ANNOTATED
    for name in annotated:
        loaded = store.load(name, verify_image=True)
        assert loaded.annotation.done and loaded.instances.max() >= 1
    # every annotated disc trains SAMIC, the one drawn without a click included
    drawn = store.load_json(annotated[-1]).objects[0]
    assert drawn.points == [] and drawn.edited
    trained = {im.name: im for im in scan_folder(demo.images)}
    assert sorted(trained) == annotated
    assert all(im.objects[LABEL] == len(im.points[LABEL]) for im in trained.values())
    assert count_left_out(demo.images) == {}
    sam, kind = load_sam(demo.checkpoint)  # the app's own loader takes the tiny random SAM
    assert kind == "custom" and sam.image_encoder.img_size == 1024
    settings = AppSettings.from_file(demo.settings)
    assert settings.checkpoint == demo.checkpoint.resolve()
    assert settings.backbone_weights == "none"  # a random backbone, chosen explicitly
    assert settings.cache_dir == demo.cache.resolve()


def test_a_built_demo_is_reopened_and_other_folders_are_refused(demo, tmp_path, capsys) -> None:
    assert build_demo(demo.root) == (demo, False)  # the annotator's work there is kept
    assert main([str(demo.root), "--no-open"]) == 0
    out = capsys.readouterr().out
    assert "Reopening" in out and "RANDOM weights" in out and "random blobs" in out
    taken = tmp_path / "photos"
    taken.mkdir()
    (taken / "holiday.jpg").write_bytes(b"x")
    with pytest.raises(SamicError, match="photos: exists and is not a SAMBOX demo folder"):
        build_demo(taken)
    assert main([str(taken), "--no-open"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a SAMBOX demo folder" in err
    assert sorted(p.name for p in taken.iterdir()) == ["holiday.jpg"]


def test_the_app_opens_the_demo_with_a_random_backbone_chosen(qtbot, demo) -> None:
    app, window = launch(parse_args(app_args(demo)))
    qtbot.addWidget(window)
    try:
        qtbot.waitUntil(lambda: window.service.ready, timeout=WAIT_MS)
        assert window.settings.checkpoint == demo.checkpoint.resolve()
        assert len(window.project.images) == N_IMAGES
        assert window.editor.doc is not None and window.editor.doc.objects  # demo_00, annotated
        dialog = window.samic.open_train_dialog()
        assert dialog.weights.currentData() == "none"
        assert "none" in dialog.weights.currentText().lower()
        qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=WAIT_MS)
        assert dialog.table.item(0, 0).text() == LABEL
        assert dialog.table.item(0, 1).text() == str(N_ANNOTATED)
    finally:
        window.close()
