"""`samic track` and track_clip on generated clips (two discs crossing): prompts from the
annotated frames, stable track ids, protection, cancel, resume, video files, both engines.

The orchestration is checked with `TruthTracker`, a tracker that answers each frame with the
clip's true masks (so what is written can be compared pixel for pixel); the real trackers
(SAM 2.1's video predictor, SAMIC frame to frame on SAM 1) run end to end on tiny random
models, whose masks mean nothing but whose runs must complete and write under the same rules.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import cv2
import numpy as np
import pytest

from samic_core.annotation import AnnotatedObject, AnnotationStore, ImageAnnotation
from samic_core.annotation.masks import instances_from_masks
from samic_core.cli.main import main as samic
from samic_core.config import EngineConfig
from samic_core.errors import SamicError
from samic_core.testing.clips import write_clip
from samic_core.video.clip import Clip, open_clip
from samic_core.video.track import JOURNAL, track_clip
from samic_core.video.trackers import Sam2ClipTracker, build_tracker


class TruthTracker:
    """Answers every frame of a pass with the true masks of the tracks it was prompted with."""

    model_id = run_id = "truth"

    def __init__(self, truth: list[dict[int, np.ndarray]]) -> None:
        self.truth = truth
        self.prompts_seen: list[dict[int, list[int]]] = []

    def track(
        self,
        clip: Clip,
        prompts: Mapping[int, Mapping[int, np.ndarray]],
        passes: Sequence[tuple[bool, int]],
    ) -> Iterator[tuple[int, bool, dict[int, np.ndarray]]]:
        self.prompts_seen.append({t: sorted(m) for t, m in prompts.items()})
        ids = sorted({k for m in prompts.values() for k in m})
        for reverse, start in passes:
            frames = range(start, -1, -1) if reverse else range(start, len(clip))
            for t in frames:
                yield t, reverse, {k: self.truth[t][k] for k in ids}


def annotate(folder: Path, frame: int, masks: dict[int, np.ndarray], label: str = "disc",
             source: str = "manual", done: bool = False) -> None:  # fmt: skip
    store = AnnotationStore(folder)
    name = f"{frame:05d}.jpg"
    h, w = next(iter(masks.values())).shape
    objects = [AnnotatedObject(id=k, label=label, source=source, reviewed=source == "manual")
               for k in sorted(masks)]  # fmt: skip
    ann = ImageAnnotation(image=name, image_sha256=store.image_sha256(folder / name), width=w,
                          height=h, objects=objects, done=done)  # fmt: skip
    store.save(ann, instances_from_masks(sorted(masks.items()), (h, w)))


@pytest.fixture
def clip_folder(tmp_path: Path) -> tuple[Path, list[dict[int, np.ndarray]]]:
    return write_clip(tmp_path / "clip", n=8)


def test_tracks_keep_their_ids_on_every_frame_and_prompted_frames_stay(clip_folder):
    folder, truth = clip_folder
    annotate(folder, 3, truth[3])
    store = AnnotationStore(folder)
    before = store.json_path("00003.jpg").read_bytes()
    report = track_clip(open_clip(folder), TruthTracker(truth))
    assert report.prompted == ["00003.jpg"] and report.tracks == {1: "disc", 2: "disc"}
    assert sorted(report.written) == [f"{t:05d}.jpg" for t in range(8) if t != 3]
    assert store.json_path("00003.jpg").read_bytes() == before  # the annotator's frame
    for t in range(8):
        loaded = store.load(f"{t:05d}.jpg")
        assert [o.id for o in loaded.annotation.objects] == [1, 2]
        for k in (1, 2):
            assert np.array_equal(loaded.instances == k, truth[t][k])  # the track's own pixels
        if t != 3:
            assert all(o.source == "predicted" and not o.reviewed and o.points
                       for o in loaded.annotation.objects)  # fmt: skip


def test_a_correction_prompts_the_next_run_and_protected_frames_are_never_written(clip_folder):
    folder, truth = clip_folder
    annotate(folder, 0, {1: truth[0][1]})
    tracker = TruthTracker(truth)
    track_clip(open_clip(folder), tracker)
    annotate(folder, 5, {1: truth[5][1], 2: truth[5][2]})  # a correction adds track 2 at t=5
    annotate(folder, 6, {1: truth[6][1]}, source="predicted", done=True)  # accepted as it is
    store = AnnotationStore(folder)
    kept = {n: store.json_path(n).read_bytes() for n in ("00000.jpg", "00005.jpg", "00006.jpg")}
    report = track_clip(open_clip(folder), tracker)
    assert report.prompted == ["00000.jpg", "00005.jpg", "00006.jpg"] and not report.resumed
    assert tracker.prompts_seen[-1] == {0: [1], 5: [1, 2], 6: [1]}
    assert {n: store.json_path(n).read_bytes() for n in kept} == kept
    assert [o.id for o in store.load("00002.jpg").annotation.objects] == [1, 2]


def test_cancel_keeps_what_was_written_and_a_rerun_goes_on(clip_folder):
    folder, truth = clip_folder
    annotate(folder, 0, truth[0])
    calls = {"n": 0}

    def stop() -> bool:
        calls["n"] += 1
        return calls["n"] > 4  # after 3 frames were written

    first = track_clip(open_clip(folder), TruthTracker(truth), should_stop=stop)
    assert first.cancelled and first.written == ["00001.jpg", "00002.jpg", "00003.jpg"]
    journal = json.loads((folder / "annotations" / JOURNAL).read_text())
    assert journal["forward"] == 3
    tracker = TruthTracker(truth)
    second = track_clip(open_clip(folder), tracker)
    assert second.resumed and not second.cancelled
    assert sorted(tracker.prompts_seen[0]) == [0, 3]  # frame 3's saved masks prompt the rest
    assert second.written[0] == "00003.jpg" and second.written[-1] == "00007.jpg"
    third = track_clip(open_clip(folder), TruthTracker(truth))
    assert third.written == [] and third.frames_tracked == 0 and not third.resumed  # all done
    fourth = track_clip(open_clip(folder), TruthTracker(truth), restart=True)
    assert len(fourth.written) == 7 and not fourth.resumed


def test_a_finished_pass_stays_finished_when_the_other_is_interrupted_twice(clip_folder):
    folder, truth = clip_folder
    annotate(folder, 4, truth[4])
    calls = {"n": 0}

    def stop_in_backward() -> bool:  # forward: frames 4..7, then backward 4, 3 and stop
        calls["n"] += 1
        return calls["n"] > 6

    first = track_clip(open_clip(folder), TruthTracker(truth), should_stop=stop_in_backward)
    assert first.cancelled and first.written[-1] == "00003.jpg"
    calls["n"] = 5  # the next run stops again after one backward frame
    tracker = TruthTracker(truth)
    second = track_clip(open_clip(folder), tracker, should_stop=stop_in_backward)
    assert second.cancelled and second.resumed and tracker.prompts_seen == [{3: [1, 2], 4: [1, 2]}]
    tracker = TruthTracker(truth)
    third = track_clip(open_clip(folder), tracker)
    assert not third.cancelled and len(tracker.prompts_seen) == 1  # forward is not redone
    assert third.written[-1] == "00000.jpg"


def test_a_rerun_starts_over_where_the_frame_it_stopped_at_was_rejected(clip_folder):
    folder, truth = clip_folder
    annotate(folder, 0, truth[0])
    calls = {"n": 0}

    def stop() -> bool:
        calls["n"] += 1
        return calls["n"] > 4

    track_clip(open_clip(folder), TruthTracker(truth), should_stop=stop)
    AnnotationStore(folder).delete("00003.jpg")  # the annotator rejected frame 3's predictions
    tracker = TruthTracker(truth)
    again = track_clip(open_clip(folder), tracker)
    assert not again.resumed and tracker.prompts_seen[0] == {0: [1, 2]}  # from the prompt
    assert "00003.jpg" in again.written


def test_a_frame_added_or_removed_is_another_clip(clip_folder):
    folder, truth = clip_folder
    annotate(folder, 0, truth[0])
    track_clip(open_clip(folder), TruthTracker(truth))
    (folder / "00007.jpg").unlink()
    again = track_clip(open_clip(folder), TruthTracker(truth[:7]))  # no IndexError
    assert len(again.written) == 6 and not again.resumed


def test_no_prompted_frame_is_one_clear_error(clip_folder):
    folder, truth = clip_folder
    with pytest.raises(SamicError, match="no prompted frame"):
        track_clip(open_clip(folder), TruthTracker(truth))


def test_a_video_file_is_read_as_frames_once(tmp_path: Path):
    video, truth = write_clip(tmp_path / "walk", n=5, video=True)
    clip = open_clip(video)
    assert clip.folder == tmp_path / "walk.mp4.frames" and len(clip) == 5
    assert clip.read(2).shape == (96, 128, 3)
    stamp = (clip.folder / "00004.jpg").stat().st_mtime_ns
    again = open_clip(video)
    assert (again.folder / "00004.jpg").stat().st_mtime_ns == stamp and len(again) == 5
    with pytest.raises(SamicError, match="not a folder of frames or a video file"):
        open_clip(tmp_path / "missing.mp4")
    other, _ = write_clip(tmp_path / "other", n=3, video=True)
    other.replace(video)  # the video was replaced: its old frames (and their annotations) stay
    with pytest.raises(SamicError, match="another version of walk.mp4"):
        open_clip(video)
    assert len(list((tmp_path / "walk.mp4.frames").glob("*.jpg"))) == 5


def test_frames_of_another_size_are_refused(tmp_path: Path):
    folder, _ = write_clip(tmp_path / "clip", n=3)
    cv2.imwrite(str(folder / "00001.jpg"), np.zeros((50, 60, 3), np.uint8))
    with pytest.raises(SamicError, match="00001.jpg: a 60x50 frame in a clip of 128x96"):
        open_clip(folder)


def test_sam2_video_predictor_runs_a_clip_end_to_end(clip_folder, tiny_sam2_checkpoint, capsys,
                                                     isolated_user_cache):  # fmt: skip
    """The real SAM 2.1 video predictor (tiny random model) through `samic track`."""
    folder, truth = write_clip(clip_folder[0].parent / "short", n=4)
    annotate(folder, 1, truth[1])
    argv = ["track", str(folder), "--checkpoint", str(tiny_sam2_checkpoint), "--device", "cpu"]
    assert samic(argv) == 0
    out = capsys.readouterr().out
    assert "2 tracks (1 disc, 2 disc) from 1 prompted frame: " in out
    store = AnnotationStore(folder)
    for t in (0, 2, 3):  # written with the tracks' ids, or left without objects
        name = f"{t:05d}.jpg"
        if store.exists(name):
            ann = store.load(name).annotation
            assert {o.id for o in ann.objects} <= {1, 2}
            assert ann.sam_model is not None and ann.sam_model.startswith("sam2.1_custom-")
    assert json.loads((folder / "annotations" / JOURNAL).read_text())["forward"] == 3
    tracker = build_tracker(EngineConfig(checkpoint=tiny_sam2_checkpoint, device="cpu"))
    assert isinstance(tracker, Sam2ClipTracker)


def test_sam1_needs_a_samic_model_and_then_tracks_frame_to_frame(
    clip_folder, tiny_sam_checkpoint, trained_model, capsys
):
    folder, truth = write_clip(clip_folder[0].parent / "short1", n=3, h=64, w=64, objects=1)
    annotate(folder, 0, truth[0])
    argv = ["track", str(folder), "--checkpoint", str(tiny_sam_checkpoint), "--device", "cpu"]
    assert samic(argv) == 2
    assert "SAM 1 has no video memory" in capsys.readouterr().err
    assert samic([*argv, "--model", str(trained_model), "--no-cache"]) == 0
    assert "1 track (1 disc) from 1 prompted frame: " in capsys.readouterr().out


def test_a_tracked_clip_exports_as_davis_that_eval_reads_and_as_coco_with_video_ids(
    clip_folder, tmp_path, capsys
):
    folder, truth = clip_folder
    annotate(folder, 0, truth[0])
    track_clip(open_clip(folder), TruthTracker(truth))
    out = tmp_path / "davis"
    args = ["export", str(folder), "--format", "davis", "--out", str(out), "--include-unreviewed"]
    assert samic(args) == 0
    from samic_core.eval.davis import read_davis

    ds = read_davis(out, 2017)
    (seq,) = ds.sequences
    assert seq.name == "clip" and len(seq.frames) == 8 and list(seq.objects) == [1, 2]
    for t in (0, 5):
        labels = ds.labels(seq, t, truth[t][1].shape)
        assert np.array_equal(labels == 2, truth[t][2])  # the track id is the DAVIS object id
    capsys.readouterr()
    res = tmp_path / "res"
    assert samic(["eval", str(out), "--format", "davis", "--year", "2017", "--method", "copy",
                  "--out", str(res)]) == 0  # fmt: skip
    coco = tmp_path / "coco"
    assert samic(["export", str(folder), "--format", "coco", "--out", str(coco),
                  "--include-unreviewed"]) == 0  # fmt: skip
    data = json.loads((coco / "instances.json").read_text())
    assert data["videos"] == [{"id": 1, "name": "clip", "frames": 8}]
    frames = {im["id"]: im["frame_id"] for im in data["images"]}
    assert sorted(frames.values()) == list(range(8))
    tracks = {(frames[a["image_id"]], a["track_id"]) for a in data["annotations"]}
    assert {(t, k) for t in range(8) for k in (1, 2)} == tracks


def test_samic_tracking_keeps_the_mask_on_its_object_not_a_look_alike():
    from samic_core.video.trackers import choose_mask

    ref = np.zeros((20, 40), bool)
    ref[5:10, 5:10] = True
    moved, look_alike, far = (np.zeros_like(ref) for _ in range(3))
    moved[6:11, 7:12] = True
    look_alike[5:10, 30:35] = True
    far[12:18, 14:20] = True
    assert choose_mask([look_alike, moved], ref) is moved  # overlaps the last mask
    assert choose_mask([look_alike, far], ref) is far  # else the nearest
    assert choose_mask([np.zeros_like(ref)], ref) is None
