"""Auto-annotate from the dialog: predicted files for unannotated images only, cancel, refs."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from sambox.controllers.samic_jobs import AutoAnnotateController
from sambox.model.samic_info import ModelInfo
from sambox.widgets.autoannotate_dialog import AutoAnnotateDialog
from samic_core.annotation import AnnotationStore

WAIT_MS = 60_000


def make_dialog(qtbot, service, folder: Path, model: Path, selection=()) -> AutoAnnotateDialog:
    store = AnnotationStore(folder)
    unannotated = [p.name for p in store.images() if not store.exists(p.name)]
    jobs = AutoAnnotateController(service)
    dialog = AutoAnnotateDialog(
        jobs, folder, unannotated, list(selection), [ModelInfo.read(model)], device="cpu"
    )
    jobs.setParent(dialog)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_writes_predictions_for_unannotated_images_only(
    qtbot, samic_service, annotated_folder: Path, tiny_samic_model: Path
):
    store = AnnotationStore(annotated_folder)
    manual = {n: store.json_path(n).read_bytes() for n in ("img_000.png", "img_001.png")}
    dialog = make_dialog(qtbot, samic_service, annotated_folder, tiny_samic_model)
    assert dialog.r_unannotated.isChecked()
    assert dialog.label.currentText() == "disc"
    assert dialog.references() == ["img_000.png", "img_001.png", "img_002.png", "img_003.png"]
    with qtbot.waitSignal(dialog.jobs.finished, timeout=WAIT_MS) as blocker:
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    request, outcome = blocker.args
    assert [p.name for p in request.images] == ["new_000.png", "new_001.png"]
    assert set(outcome.written) | set(outcome.empty) == {"new_000.png", "new_001.png"}
    assert outcome.written, "the tiny model should find something in at least one image"
    for name in outcome.written:
        ann = store.load(name).annotation
        assert ann.objects and all(
            o.source == "predicted" and not o.reviewed and o.label == "disc" and o.points
            for o in ann.objects
        )
    for name, data in manual.items():
        assert store.json_path(name).read_bytes() == data  # manual files untouched
    assert dialog.progress.value() == 2
    assert " annotated (" in dialog.status.text()


def test_cancel_stops_the_batch(qtbot, samic_service, annotated_folder: Path, tiny_samic_model):
    dialog = make_dialog(qtbot, samic_service, annotated_folder, tiny_samic_model)
    with qtbot.waitSignal(samic_service.annotate_finished, timeout=WAIT_MS) as blocker:
        dialog.start()
        assert dialog.running and dialog.cancel_button.isEnabled()
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    outcome = blocker.args[0]
    assert outcome.cancelled and not outcome.written
    store = AnnotationStore(annotated_folder)
    assert not store.exists("new_000.png") and not store.exists("new_001.png")
    assert not dialog.running and dialog.start_button.isEnabled()
    assert "cancelled" in dialog.status.text()


def test_chosen_references_and_another_folder(
    qtbot, samic_service, annotated_folder: Path, tiny_samic_model, tmp_path: Path
):
    other = tmp_path / "other"
    other.mkdir()
    for name in ("new_000.png", "new_001.png"):
        (other / name).write_bytes((annotated_folder / name).read_bytes())
    dialog = make_dialog(qtbot, samic_service, annotated_folder, tiny_samic_model)
    for i in range(2, dialog.refs.count()):
        dialog.refs.item(i).setCheckState(Qt.CheckState.Unchecked)
    assert dialog.references() == ["img_000.png", "img_001.png"]
    assert "K = 2 of 4" in dialog.refs_note.text()
    dialog.other_folder.setText(str(other))
    dialog.r_other.setChecked(True)
    with qtbot.waitSignal(dialog.jobs.finished, timeout=WAIT_MS) as blocker:
        dialog.start()
    request, outcome = blocker.args
    assert request.references == ("img_000.png", "img_001.png")
    assert request.target_folder == other
    assert outcome.written
    assert all(AnnotationStore(other).exists(n) for n in outcome.written)
    assert not AnnotationStore(annotated_folder).exists("new_000.png")  # only the other folder


def test_no_references_for_a_class_explains_why(
    qtbot, samic_service, annotated_folder: Path, tiny_samic_model
):
    store = AnnotationStore(annotated_folder)
    for p in store.images():
        store.delete(p.name)
    dialog = make_dialog(qtbot, samic_service, annotated_folder, tiny_samic_model)
    assert dialog.references() == []
    assert "nothing to show the model" in dialog.refs_note.text()
    assert not dialog.start_button.isEnabled()


def test_the_prompt_rule_reaches_the_core(
    qtbot, samic_service, annotated_folder: Path, tiny_samic_model: Path, monkeypatch
):
    """The dialog's 'Prompts' choice is sent with the request and becomes the core's PeakRule."""
    import samic_core.predict.autoannotate as core
    from samic_core.peaks import PeakRule

    rules = []
    real = core.auto_annotate

    def spy(*args, **kwargs):
        rules.append(kwargs.get("rule"))
        return real(*args, **kwargs)

    monkeypatch.setattr(core, "auto_annotate", spy)
    dialog = make_dialog(qtbot, samic_service, annotated_folder, tiny_samic_model)
    chosen = []
    dialog.peaks_changed.connect(chosen.append)
    assert dialog.request().peaks == "model"
    for name, expected in (("paper", PeakRule.paper()), ("model", None)):
        dialog.peaks.setCurrentIndex(dialog.peaks.findData(name))
        with qtbot.waitSignal(dialog.jobs.finished, timeout=WAIT_MS) as blocker:
            dialog.start()
        assert blocker.args[0].peaks == name and rules[-1] == expected
    assert chosen == ["paper", "model"]  # remembered by the app through this signal


def test_close_while_running_hides_and_the_batch_goes_on(
    qtbot, samic_service, annotated_folder: Path, tiny_samic_model: Path
):
    """Close on a running batch cancelled it without a word (seen under Xvfb: 3 of 13 images,
    "cancelled"); like the Train dialog it now only hides, and Cancel is the way to stop."""
    dialog = make_dialog(qtbot, samic_service, annotated_folder, tiny_samic_model)
    assert "background" in dialog.close_button.toolTip()
    with qtbot.waitSignal(dialog.jobs.finished, timeout=WAIT_MS) as blocker:
        dialog.start()
        assert dialog.running
        qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
        assert not dialog.isVisible()
    _request, outcome = blocker.args
    assert not outcome.cancelled
    assert set(outcome.written) | set(outcome.empty) == {"new_000.png", "new_001.png"}


def _two_classes(folder: Path) -> None:
    """Relabel the objects of img_002 and img_003 'spot': the folder has two classes."""
    store = AnnotationStore(folder)
    for name in ("img_002.png", "img_003.png"):
        loaded = store.load(name)
        objects = [o.model_copy(update={"label": "spot"}) for o in loaded.annotation.objects]
        store.save(loaded.annotation.model_copy(update={"objects": objects}), loaded.instances)


def test_all_classes_in_one_pass(qtbot, samic_service, annotated_folder: Path, tmp_path: Path):
    """A model of two classes offers 'All classes': one run predicts both, each with its
    default references (the reference list is off), as `samic predict` does."""
    from samic_gui_helpers import TINY_SIZE

    from samic_core.train.trainer import TrainConfig, train

    _two_classes(annotated_folder)
    model = tmp_path / "two.samic"
    train(TrainConfig(annotated_folder, model, epochs=1, image_size=TINY_SIZE,
                      backbone_weights="none", device="cpu", schedule="paper"))  # fmt: skip
    dialog = make_dialog(qtbot, samic_service, annotated_folder, model)
    items = [dialog.label.itemText(i) for i in range(dialog.label.count())]
    assert items == ["disc", "spot", "All classes (2), in one pass"]
    dialog.label.setCurrentIndex(2)
    assert dialog.all_classes() and not dialog.refs.isEnabled() and dialog.refs.count() == 0
    assert "Every class uses up to 5" in dialog.refs_note.text()
    assert dialog.start_button.isEnabled()
    with qtbot.waitSignal(dialog.jobs.finished, timeout=WAIT_MS) as blocker:
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    request, outcome = blocker.args
    assert request.all_classes == ("disc", "spot") and request.references == ()
    assert set(outcome.written) | set(outcome.empty) == {"new_000.png", "new_001.png"}
    store = AnnotationStore(annotated_folder)
    labels = {o.label for n in outcome.written for o in store.load(n).annotation.objects}
    assert labels and labels <= {"disc", "spot"}
    assert outcome.objects == sum(len(store.load(n).annotation.objects) for n in outcome.written)
    assert dialog.start_button.isEnabled() and not dialog.refs.isEnabled()  # again, after a run
    # a class without references: the note says which, and Start waits
    for name in ("img_002.png", "img_003.png"):
        store.delete(name)
    dialog._model_changed()  # as when another model is chosen: the choice stays "All classes"
    assert dialog.all_classes()
    assert "'spot'" in dialog.refs_note.text() and not dialog.start_button.isEnabled()


def test_merged_outcome_of_several_classes() -> None:
    """An image is written when any class wrote it, empty only when every class found nothing;
    protected images and failures are listed once; object counts add up."""
    from types import SimpleNamespace

    from sambox.services.annotate_jobs import merged_outcome

    def report(written, empty, objects, failed=(), skipped=("m.png",)):
        return SimpleNamespace(written=list(written), empty=list(empty), objects=objects,
                               failed=list(failed), skipped_protected=list(skipped),
                               cancelled=False)  # fmt: skip

    bad = [("bad.png", "not an image")]
    out = merged_outcome([
        report(["a.png"], ["b.png", "c.png"], 3, bad),
        report(["b.png"], ["a.png", "c.png"], 2, bad),
    ])  # fmt: skip
    assert out.written == ("a.png", "b.png") and out.empty == ("c.png",)
    assert out.skipped == ("m.png",) and out.failed == tuple(bad) and out.objects == 5
    assert not out.cancelled
