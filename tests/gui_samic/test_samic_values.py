"""The Qt-free parts of SAMIC in the app: review order, navigation, warnings, names, ticks."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np

from sambox.model.document import Document, ObjectState, Snapshot
from sambox.model.review import (
    accept_all,
    add_suggestions,
    image_confidence,
    next_in,
    reject_predictions,
    review_order,
)
from sambox.model.samic_info import (
    AutoAnnotateOutcome,
    Suggestion,
    check_model_name,
    default_model_name,
    format_duration,
    is_model_file,
    training_problems,
)
from sambox.widgets.loss_plot import nice_ticks
from samic_core.annotation import AnnotatedObject, ImageAnnotation


def _ann(*objs: tuple[str, bool, float | None]) -> ImageAnnotation:
    objects = [
        AnnotatedObject(id=i + 1, label="a", source=src, reviewed=rev, score=score)  # type: ignore[arg-type]
        for i, (src, rev, score) in enumerate(objs)
    ]
    return ImageAnnotation(image="x.png", image_sha256="0", width=4, height=4, objects=objects)


def test_image_confidence_is_the_weakest_unreviewed_prediction():
    assert image_confidence(_ann(("predicted", False, 0.9), ("predicted", False, 0.4))) == 0.4
    assert image_confidence(_ann(("predicted", True, 0.1), ("predicted", False, 0.7))) == 0.7
    assert image_confidence(_ann(("predicted", False, None))) == 0.0
    assert image_confidence(_ann(("manual", True, 0.2))) is None


def test_review_order_puts_the_least_certain_first():
    conf = {"a": None, "b": 0.9, "c": 0.2, "d": None, "e": 0.9}
    assert review_order(["a", "b", "c", "d", "e"], conf) == ["c", "b", "e", "a", "d"]


def test_next_in_wraps_and_skips():
    order = ["a", "b", "c", "d"]
    assert next_in(order, "b", {"a", "d"}) == "d"
    assert next_in(order, "d", {"a", "d"}) == "a"  # wraps around
    assert next_in(order, "b", {"a", "d"}, step=-1) == "a"
    assert next_in(order, "a", {"a"}) is None  # only the current one is left
    assert next_in(order, None, {"c"}) == "c"


def test_accept_reject_and_suggestions_on_snapshots():
    mask = np.zeros((4, 4), bool)
    manual = ObjectState(id=1, label="a", points=((1.0, 1.0, True),), mask=mask)
    pred = ObjectState(
        id=2, label="a", points=((2.0, 2.0, True),), source="predicted", reviewed=False
    )
    state = Snapshot((manual, pred), 2, False)
    accepted = accept_all(state)
    assert accepted.done and all(o.reviewed for o in accepted.objects)
    rejected = reject_predictions(state)
    assert [o.id for o in rejected.objects] == [1] and rejected.current_id == 1
    doc = Document(Path("x.png"), "0", 4, 4, state=Snapshot((manual,), 1, False))
    s = Suggestion(points=((3.0, 1.0),), mask=mask, score=0.5, low_res=None, candidate=1)
    out = add_suggestions(doc, [s, s], "b")
    new = out.objects[1:]
    assert [o.id for o in new] == [2, 3] and out.current_id == 2
    assert all(o.source == "predicted" and not o.reviewed and not o.needs_decode for o in new)
    assert new[0].points == ((3.0, 1.0, True),) and new[0].label == "b"


def test_training_problems_say_how_many_are_needed():
    assert "No annotated images" in training_problems({}, [], 2)[0]
    assert training_problems({"a": (2, 5)}, ["a"], 2) == []
    (msg,) = training_problems({"a": (1, 3), "b": (4, 4)}, ["a", "b"], 2)
    assert "'a' has 1 annotated image" in msg and "at least 2" in msg and "1 more" in msg
    assert "at least one class" in training_problems({"a": (2, 2)}, [], 2)[0]


def test_model_names_and_files(tmp_path: Path):
    ann = tmp_path / "annotations"
    now = datetime(2025, 1, 2, 3, 4)
    assert default_model_name(ann, now) == "samic-20250102-0304"
    (ann / "models").mkdir(parents=True)
    (ann / "models" / "samic-20250102-0304.samic").write_bytes(b"")
    assert default_model_name(ann, now) == "samic-20250102-0304-2"
    assert check_model_name("good name_1.v2") is None
    assert check_model_name("") and check_model_name("../x") and check_model_name("m.last")
    assert is_model_file(Path("m.samic")) and not is_model_file(Path("m.last.samic"))


def test_durations_and_ticks():
    assert format_duration(None) == "estimating…"
    assert plain(format_duration(42.4)) == "about 42 s"
    assert plain(format_duration(125)) == "about 2 min 05 s"
    assert plain(format_duration(3 * 3600 + 60)) == "about 3 h 01 min"
    assert nice_ticks(0.0, 1.0, 6) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert nice_ticks(13.1, 17.4, 6) == [14.0, 15.0, 16.0, 17.0]


def plain(text: str) -> str:
    """The text with its no-break spaces as plain spaces."""
    return text.replace("\u00a0", " ")


def test_a_duration_never_wraps_between_number_and_unit():
    """The time-left label wrapped "about 12" / "s (to epoch 5)" in the Train dialog."""
    for text in (format_duration(12), format_duration(125), format_duration(3 * 3600 + 60)):
        words = text.split(" ")  # where a label may wrap
        assert all(not w.isdigit() for w in words), text


def test_model_info_is_a_view_of_the_files_own_metadata(tiny_samic_model: Path) -> None:
    """ModelInfo holds the core's ModelMeta as read (no field copied one by one)."""
    from sambox.model.samic_info import ModelInfo
    from samic_core.modelfile.meta import read_model_meta

    info = ModelInfo.read(tiny_samic_model)
    assert info.meta == read_model_meta(tiny_samic_model)
    assert (info.name, info.classes) == ("tiny", ("disc",))
    assert info.created_local[:2] == "20" and len(info.created_local) == 16


def test_a_batch_summary_counts_in_words() -> None:
    """Under Xvfb a one-image batch said '1 images annotated (6 objects)'."""
    one = AutoAnnotateOutcome(written=("a.png",), objects=1)
    assert one.summary() == "1 image annotated (1 object)"
    two = AutoAnnotateOutcome(written=("a.png", "b.png"), objects=6, cancelled=True)
    assert two.summary() == "2 images annotated (6 objects) — cancelled"
