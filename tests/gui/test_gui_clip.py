"""Clips in the app: a video opens as its frames, the frame bar steps through them, and Track
Objects Through Clip carries the annotated objects to the other frames (tiny random SAM 2.1)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from gui_helpers import WAIT_MS, key, make_window, start_engine

from samic_core.annotation import AnnotatedObject, AnnotationStore, ImageAnnotation
from samic_core.annotation.masks import instances_from_masks
from samic_core.testing.clips import write_clip


def _annotate(folder: Path, frame: int, masks: dict[int, np.ndarray]) -> bytes:
    store = AnnotationStore(folder)
    name = f"{frame:05d}.jpg"
    h, w = masks[1].shape
    objects = [AnnotatedObject(id=k, label="disc") for k in masks]
    ann = ImageAnnotation(image=name, image_sha256=store.image_sha256(folder / name), width=w,
                          height=h, objects=objects)  # fmt: skip
    store.save(ann, instances_from_masks(sorted(masks.items()), (h, w)))
    return store.json_path(name).read_bytes()


def test_a_video_opens_as_frames_and_the_frame_bar_steps(qtbot, settings, tmp_path):
    video, _ = write_clip(tmp_path / "walk", n=5, video=True)
    w = make_window(qtbot, settings)
    with qtbot.waitSignal(w.clips.clips.finished, timeout=WAIT_MS):
        w.clips.open_video(video)
    assert w.project.folder == tmp_path / "walk.mp4.frames"
    assert [p.name for p in w.project.images] == [f"{i:05d}.jpg" for i in range(5)]
    assert w.clips.bar.isVisible() and w.clips.slider.maximum() == 4
    w.clips.slider.setValue(3)
    assert w.session.current == "00003.jpg" and "4 / 5" in w.clips.position.text()
    key(qtbot, w, "D")  # the image keys step frames
    assert w.session.current == "00004.jpg" and w.clips.slider.value() == 4
    w.close()


def test_track_dialog_carries_annotated_objects_to_the_other_frames(
    qtbot, settings, tmp_path, tiny_sam2_checkpoint
):
    folder, truth = write_clip(tmp_path / "clip", n=4)
    kept = _annotate(folder, 1, truth[1])
    settings.checkpoint = tiny_sam2_checkpoint
    w = make_window(qtbot, settings)
    start_engine(qtbot, w)
    w.session.open_folder(folder)
    assert w.clips.bar.isVisible()  # frames named by numbers: a clip
    w.session.open_image("00002.jpg")
    dialog = w.clips.open_track_dialog()
    assert dialog is not None and dialog.sam2  # SAM 2.1: no SAMIC model asked for
    with qtbot.waitSignal(w.clips.clips.finished, timeout=120_000) as blocker:
        dialog.start()
    kind, report = blocker.args
    assert (
        kind == "track"
        and report.prompted == ["00001.jpg"]
        and report.tracks == {1: "disc", 2: "disc"}
    )
    assert len(report.written) + len(report.empty) == 3
    assert AnnotationStore(folder).json_path("00001.jpg").read_bytes() == kept
    assert dialog.status.text().startswith("Done: 2 track(s)")
    assert w.session.current == "00002.jpg"  # reopened on the same frame
    # the job counts as busy until its worker's last signal, which a loaded CPU can deliver
    # after the result: closing before would ask "Still working?" in a modal box
    qtbot.waitUntil(lambda: not w.clips.clips.busy, timeout=WAIT_MS)
    w.close()


def test_track_with_sam1_asks_for_a_samic_model(qtbot, settings, tmp_path):
    folder, truth = write_clip(tmp_path / "clip1", n=3)
    _annotate(folder, 0, truth[0])
    w = make_window(qtbot, settings)
    start_engine(qtbot, w)
    w.session.open_folder(folder)
    dialog = w.clips.open_track_dialog()
    assert dialog is not None and not dialog.sam2
    dialog.model.setText("")
    dialog.start()
    assert "Choose a SAMIC model" in dialog.status.text() and not w.clips.clips.busy
    w.close()


def test_esc_during_a_run_cancels_it_and_the_dialog_stays_until_it_stopped(
    qtbot, settings, tmp_path, tiny_sam2_checkpoint
):
    from PySide6.QtCore import Qt

    folder, truth = write_clip(tmp_path / "clip", n=6)
    _annotate(folder, 0, truth[0])
    settings.checkpoint = tiny_sam2_checkpoint
    settings.model_type = "sam2.1_hiera_t"  # SAM 2.1 known from the settings, engine not loaded
    w = make_window(qtbot, settings)
    w.session.open_folder(folder)
    dialog = w.clips.open_track_dialog()
    assert dialog is not None and dialog.sam2 is True
    settings.model_type = "auto"  # the tiny model is not an official size: auto loads it
    with qtbot.waitSignal(w.clips.clips.cancelled, timeout=120_000):
        dialog.start()
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)
        assert dialog.isVisible() and "Cancelling" in dialog.status.text()
    assert dialog.status.text().startswith("Cancelled")
    dialog.reject()
    assert not dialog.isVisible() and not w.clips.clips.busy
    w.close()


def test_a_new_object_on_a_frame_never_takes_another_tracks_id(qtbot, settings, tmp_path):
    """Frame 3 holds tracks 1 and 2: an object drawn on frame 0 gets id 3, not 1 (which would
    join it to track 1); in an ordinary image folder ids still start at 1."""
    from gui_helpers import click

    folder, truth = write_clip(tmp_path / "clip", n=4)
    _annotate(folder, 3, truth[3])
    w = make_window(qtbot, settings)
    start_engine(qtbot, w)
    w.session.open_folder(folder)
    w.session.open_image("00000.jpg")
    qtbot.waitUntil(lambda: w.service.is_embedded(folder / "00000.jpg"), timeout=WAIT_MS)
    click(qtbot, w, 30, 50)
    assert w.editor.current.id == 3
    key(qtbot, w, "N")
    click(qtbot, w, 90, 50)
    assert w.editor.current.id == 4
    key(qtbot, w, "D")  # saved: the next frame's new objects go above 4
    assert w.project.track_id_max == 4
    w.close()
