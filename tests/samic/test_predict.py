"""SamicPredictor (K-shot, peaks, input size) and auto-annotation with a tiny SAM."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from samic_core.annotation import AnnotationStore
from samic_core.cli.main import main
from samic_core.errors import SamicError
from samic_core.fileio import read_image_rgb
from samic_core.modelfile.meta import read_model_meta
from samic_core.peaks import PeakRule
from samic_core.predict.autoannotate import auto_annotate, suggest_objects
from samic_core.predict.predictor import SamicPredictor
from samic_core.predict.references import choose_references, select_references
from samic_core.sam.engine import SamEngine
from samic_core.testing.samic_task import make_synthetic_image


@pytest.fixture(scope="module")
def predictor(trained_model: Path) -> SamicPredictor:
    return SamicPredictor.from_file(trained_model, "cpu")


def _refs(n: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    ims = [make_synthetic_image(80, 100 + i) for i in range(n)]
    return [im.rgb for im in ims], [im.points for im in ims]


def test_k_shot_is_the_mean_of_single_shot_maps(predictor: SamicPredictor) -> None:
    images, points = _refs(3)
    target = make_synthetic_image(120, 7).rgb
    singles = []
    for im, pts in zip(images, points, strict=True):
        predictor.set_references([im], [pts])
        singles.append(predictor.heatmap(target))
    predictor.set_references(images, points)
    assert predictor.num_references == 3
    per_ref = predictor.reference_heatmaps(target)
    np.testing.assert_allclose(per_ref, np.stack(singles), atol=1e-5)
    mean = np.mean(singles, axis=0)
    heat = predictor.heatmap(target)
    assert heat.shape == (64, 64) and heat.dtype == np.float32
    np.testing.assert_allclose(heat, mean / mean.max(), atol=1e-5)
    assert heat.max() == pytest.approx(1.0)


def test_peaks_are_in_original_pixels(predictor: SamicPredictor, monkeypatch) -> None:
    predictor.set_references(*_refs(1))
    wide = np.ascontiguousarray(np.tile(make_synthetic_image(64, 3).rgb, (1, 3, 1)))  # 64 x 192
    heat = predictor.heatmap(wide)
    assert heat.shape == (64, 64)
    assert all(0 <= p.x < 192 and 0 <= p.y < 64 for p in predictor.peaks(wide))
    # a known map: one blob centred on heat-map pixel (x 40, y 20) -> original (121, 20)
    known = np.zeros((64, 64), np.float32)
    known[19:22, 39:42] = 1.0
    monkeypatch.setattr(predictor, "raw_heatmaps_torch", lambda t: torch.from_numpy(known)[None])
    (peak,) = predictor.peaks(wide, PeakRule.paper())
    assert peak.x == pytest.approx((40 + 0.5) * 3 - 0.5) and peak.y == pytest.approx(20.0)
    assert peak.area == 9 and peak.score == 1.0


def test_another_image_size_is_refused(trained_model: Path, predictor) -> None:
    with pytest.raises(SamicError, match="trained at 64x64 and cannot predict at 128x128"):
        SamicPredictor.from_file(trained_model, "cpu", image_size=128)
    assert SamicPredictor.from_file(trained_model, "cpu", image_size=64).image_size == 64
    with pytest.raises(RuntimeError, match="set_references"):
        SamicPredictor(predictor.net).heatmap(np.zeros((32, 32, 3), np.uint8))
    with pytest.raises(SamicError, match="no positive points"):
        predictor.set_references([np.zeros((32, 32, 3), np.uint8)], [np.zeros((0, 2))])


def test_default_peak_rule_follows_the_models_loss_terms(predictor: SamicPredictor) -> None:
    """nms's absolute floor needs an output trained with BCE; other models get the paper rule."""
    meta = predictor.meta
    assert meta is not None and meta.config["schedule"] == "paper"
    assert not predictor.calibrated and predictor.default_rule == PeakRule.paper()
    auto = SamicPredictor(predictor.net, replace(meta, loss_terms=("kld", "cc", "nss", "bce")))
    assert auto.calibrated and auto.default_rule == PeakRule()
    assert SamicPredictor(predictor.net, None).default_rule.method == "paper"


def test_choose_references_by_name_or_default(mixed_folder: Path) -> None:
    store = AnnotationStore(mixed_folder)
    assert [p.name for p, _ in choose_references(store, "cell", k=2)] == ["a.png", "b.png"]
    named = choose_references(store, "cell", ["e.png", "b.png"])
    assert sorted(p.name for p, _ in named) == ["b.png", "e.png"]
    with pytest.raises(SamicError, match="c.png: not usable as references"):
        choose_references(store, "cell", ["c.png", "a.png"])
    with pytest.raises(SamicError, match="no manual or reviewed annotations of class 'nothing'"):
        choose_references(store, "nothing")


def test_select_references_uses_trusted_objects(mixed_folder: Path) -> None:
    store = AnnotationStore(mixed_folder)
    refs = select_references(store, "cell", k=5)
    assert [p.name for p, _ in refs] == ["a.png", "b.png", "d.png", "e.png"]
    np.testing.assert_allclose(refs[0][1], [[20, 20], [22, 24]])
    assert len(select_references(store, "cell", k=2)) == 2
    assert select_references(store, "nothing") == []


def test_auto_annotate_writes_predictions_and_never_touches_manual_work(
    predictor, tiny_sam_checkpoint, synthetic_folder, tmp_path, save_annotation
) -> None:
    engine = SamEngine(tiny_sam_checkpoint, "vit_b", "cpu")
    store = AnnotationStore(synthetic_folder)
    refs = select_references(store, "disc", k=2)
    predictor.set_references([read_image_rgb(p) for p, _ in refs], [pts for _, pts in refs])
    folder = tmp_path / "new"
    for i in range(3):
        im = make_synthetic_image(96, 500 + i)
        folder.mkdir(exist_ok=True)
        cv2.imwrite(str(folder / f"n{i}.png"), cv2.cvtColor(im.rgb, cv2.COLOR_RGB2BGR))
    save_annotation(folder, "manual.png", [("disc", [(20, 20)], "manual", True)])
    manual_json = (folder / "annotations" / "manual.png.json").read_bytes()
    out = AnnotationStore(folder)
    images = sorted(folder.glob("*.png"))
    seen: list[int] = []
    low = PeakRule.named("paper", 0.3)  # a 2-epoch model: the rule's mechanics, not its quality
    report = auto_annotate(predictor, engine, images, out, "disc", lambda d, t, n: seen.append(d),
                           rule=low)  # fmt: skip
    assert seen == [1, 2, 3, 4]
    assert report.skipped_protected == ["manual.png"]
    assert (folder / "annotations" / "manual.png.json").read_bytes() == manual_json
    assert sorted(report.written + report.empty) == ["n0.png", "n1.png", "n2.png"]
    assert report.written and not report.failed
    for name in report.written:
        loaded = out.load(name)
        objs = loaded.annotation.objects
        assert objs and all(o.source == "predicted" and not o.reviewed for o in objs)
        assert all(len(o.points) == 1 and o.points[0].positive for o in objs)
        assert all(o.score is not None for o in objs)
        assert loaded.annotation.sam_model == engine.model_id
        assert set(np.unique(loaded.instances)) - {0} == {o.id for o in objs}
    # running again replaces the unreviewed predictions, still skipping the manual image
    again = auto_annotate(predictor, engine, images, out, "disc", rule=low)
    assert again.written == report.written and again.skipped_protected == ["manual.png"]
    # one prompt: all peaks of an image become a single object
    name = report.written[0]
    found = suggest_objects(predictor, engine, folder / name, "disc", one_prompt=True, rule=low)
    assert len(found) <= 1
    if found:
        assert len(found[0][0]) == len(predictor.peaks(read_image_rgb(folder / name), low))


def test_cli_train_predict_and_model_info(
    synthetic_folder, tiny_sam_checkpoint, tmp_path, capsys
) -> None:
    model = tmp_path / "cli.pt"
    argv = ["train", str(synthetic_folder), "--out", str(model), "--epochs", "1",
            "--image-size", "64", "--device", "cpu", "--backbone-weights", "none"]  # fmt: skip
    assert main(argv) == 0
    assert model.is_file() and (tmp_path / "cli.last.pt").is_file()
    assert main(argv) == 2  # refuses to overwrite
    assert "already exists" in capsys.readouterr().err
    assert main(["model-info"]) == 0
    assert "2,573,217" in capsys.readouterr().out
    assert main(["model-info", "--model", str(model)]) == 0
    out = capsys.readouterr().out
    assert "disc" in out and "64 x 64" in out and "presence gate yes" in out
    assert "appearance cue yes" in out  # on under auto (docs/model.md, "The level term")
    meta = read_model_meta(model)  # the pixel cue: on under auto, kept where it helps
    assert meta.config["pixel_cue"] is True and ("pixel cue yes" in out) is meta.pixel_cue
    # the default model: the 15-parameter gate and the appearance cue, and the pixel cue if kept
    assert ("3,072,848" if meta.pixel_cue else "2,948,416") in out
    target = tmp_path / "targets"
    target.mkdir()
    cv2.imwrite(str(target / "t.png"), make_synthetic_image(96, 900).rgb[..., ::-1])
    code = main(["predict", "--model", str(model), "--refs", str(synthetic_folder),
                 "--images", str(target), "--shots", "2", "--checkpoint",
                 str(tiny_sam_checkpoint), "--device", "cpu", "--no-cache",
                 "--peaks", "paper", "--threshold", "0.3",
                 "--out", str(tmp_path / "ann")])  # fmt: skip
    assert code == 0
    assert "disc: 2 references" in capsys.readouterr().out
    assert (tmp_path / "ann" / "t.png.json").is_file()


def test_auto_annotate_rechecks_protection_right_before_writing(
    tiny_sam_checkpoint, tmp_path, save_annotation, monkeypatch, predictor
) -> None:
    """An image saved by hand (or marked done) while it was being predicted is left alone."""
    from samic_core.predict import pipeline
    from samic_core.sam.types import MaskResult

    folder = tmp_path / "race"
    save_annotation(folder, "busy.png", [("disc", [(30, 30)], "predicted", False)])
    save_annotation(folder, "done.png", [])
    store = AnnotationStore(folder)
    done = store.load("done.png").annotation.model_copy(update={"done": True})
    store.save(done, np.zeros((96, 128), np.uint16))
    done_json = store.json_path("done.png").read_bytes()
    predicted = []

    def predict_while_the_user_saves(predictor, engine, batch, jobs, one_prompt=False):
        predicted.extend(b.path.name for b in batch)
        for b in batch:
            if b.path.name == "busy.png":  # the annotator saves manual work meanwhile
                save_annotation(folder, "busy.png", [("disc", [(60, 40)], "manual", True)])
        mask = np.zeros((96, 128), bool)
        mask[5:15, 5:15] = True
        found = [(np.array([[10.0, 10.0]]), MaskResult(mask, 0.9, np.zeros((1, 256, 256)), None,
                                                       np.array([0.9])))]  # fmt: skip
        return [{"disc": found} for _ in batch]

    monkeypatch.setattr(pipeline, "find_objects", predict_while_the_user_saves)
    engine = SamEngine(tiny_sam_checkpoint, "auto", "cpu")
    predictor.set_references(*_refs(1))
    paths = [folder / "busy.png", folder / "done.png"]
    # done.png is protected up front; busy.png becomes protected while it is predicted
    report = auto_annotate(predictor, engine, paths, store, "disc")
    assert predicted == ["busy.png"]
    manual_after = store.load("busy.png").annotation.objects
    assert report.written == [] and sorted(report.skipped_protected) == ["busy.png", "done.png"]
    assert [o.source for o in manual_after] == ["manual"]
    assert store.json_path("done.png").read_bytes() == done_json


def test_select_references_skips_annotations_of_another_or_changed_image(mixed_folder: Path):
    import shutil

    # same stem, other image: a.jpg would share annotations/a.json with a.png
    shutil.copy(mixed_folder / "plain.png", mixed_folder / "a.jpg")
    # d.png changed after it was annotated
    img = cv2.imread(str(mixed_folder / "d.png"))
    img[0, 0] = 255 - img[0, 0]
    cv2.imwrite(str(mixed_folder / "d.png"), img)
    names = [p.name for p, _ in select_references(AnnotationStore(mixed_folder), "cell", k=10)]
    assert "a.jpg" not in names and "d.png" not in names
    assert "a.png" in names


def test_samic_predictor_runs_in_bf16_close_to_fp32(trained_model: Path) -> None:
    ref, target = make_synthetic_image(80, 1), make_synthetic_image(80, 2)
    maps = []
    for precision in ("fp32", "bf16"):
        p = SamicPredictor.from_file(trained_model, "cpu", precision=precision)
        p.set_references([ref.rgb], [ref.points])
        maps.append(p.raw_heatmap(target.rgb))
    assert maps[1].dtype == np.float32 and not np.array_equal(maps[0], maps[1])
    assert np.corrcoef(maps[0].ravel(), maps[1].ravel())[0, 1] > 0.95
