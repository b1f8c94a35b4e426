"""`samic predict --ray` / `samic embed --ray` on a local Ray (num_cpus=2), tiny SAM and SAMIC.

One Ray instance for the module (starting Ray is the slow part); folders of a few 64 px images.
Skipped, with the reason, where the samic[ray] extra is not installed (`make setup` installs it).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

ray = pytest.importorskip(
    "ray", reason="Ray is not installed: the samic[ray] extra (pip install -e '.[dev,ray]')"
)

from samic_core.annotation import AnnotationStore  # noqa: E402
from samic_core.cli.main import main  # noqa: E402
from samic_core.scale.ledger import RUNS_DIRNAME  # noqa: E402
from samic_core.testing.samic_task import make_synthetic_image  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.ray


@pytest.fixture(scope="module")
def ray_address(tmp_path_factory: pytest.TempPathFactory):
    """A local Ray with 2 CPUs for the whole module; its workers get their own SAMIC_HOME."""
    saved = os.environ.get("SAMIC_HOME")
    os.environ["SAMIC_HOME"] = str(tmp_path_factory.mktemp("ray_home"))  # the workers inherit it
    try:
        ctx = ray.init(num_cpus=2, include_dashboard=False)
        ray.data.DataContext.get_current().enable_progress_bars = False
        yield ctx.address_info["address"]
    finally:
        ray.shutdown()
        if saved is None:
            os.environ.pop("SAMIC_HOME", None)
        else:
            os.environ["SAMIC_HOME"] = saved


def _write_targets(folder: Path, n: int, save_annotation) -> Path:
    """n synthetic 64 px images, one image with manual work, one corrupt file."""
    folder.mkdir(parents=True)
    for i in range(n):
        im = make_synthetic_image(64, 700 + i)
        cv2.imwrite(str(folder / f"t{i:02d}.png"), cv2.cvtColor(im.rgb, cv2.COLOR_RGB2BGR))
    save_annotation(folder, "manual.png", [("disc", [(20, 20)], "manual", True)])
    (folder / "broken.png").write_bytes(b"\x89PNG not really an image")
    return folder


def _argv(model, refs, images, sam, *extra) -> list[str]:
    return ["predict", "--model", str(model), "--refs", str(refs), "--images", str(images),
            "--shots", "2", "--checkpoint", str(sam), "--device", "cpu", "--no-cache",
            "--peaks", "paper", "--threshold", "0.3", *extra]  # fmt: skip


def _annotations(folder: Path) -> dict[str, tuple[dict, np.ndarray]]:
    """{image: (JSON without its save time, instance mask)} of every annotation of `folder`."""
    store = AnnotationStore(folder)
    out = {}
    for path in store.annotation_files():
        loaded = store.load(json.loads(path.read_text())["image"])
        data = loaded.annotation.model_dump(mode="json")
        data.pop("updated")
        out[loaded.annotation.image] = (data, loaded.instances)
    return out


def _assert_same(a: dict, b: dict) -> None:
    assert sorted(a) == sorted(b)
    for name in a:
        assert a[name][0] == b[name][0], name
        np.testing.assert_array_equal(a[name][1], b[name][1])


def _no_partial_files(folder: Path) -> None:
    """Every mask file belongs to a saved annotation; every ledger marker is complete JSON."""
    ann = folder / "annotations"
    referenced = {"classes.json"}
    for path in AnnotationStore(folder).annotation_files():
        data = json.loads(path.read_text())
        referenced |= {path.name, data["masks"]["instances"], data["masks"]["semantic"]}
    visible = {p.name for p in ann.iterdir() if not p.name.startswith(".")}
    assert visible == referenced
    for marker in (ann / RUNS_DIRNAME).rglob("*.json"):
        if not marker.name.startswith("."):
            json.loads(marker.read_text())


def _ray_equals_local(
    ray_address, trained_model, synthetic_folder, sam, tmp_path, save_annotation, capsys, n: int
) -> tuple[Path, list[str], list[str]]:
    """`samic predict` on n targets, a manual image and a corrupt file, locally and with --ray:
    the same summary and files, the corrupt file reported, the manual work kept. Returns the
    Ray folder, its argv and its summary lines."""
    local = _write_targets(tmp_path / "local", n, save_annotation)
    dist = tmp_path / "dist"
    shutil.copytree(local, dist)
    manual = (dist / "annotations" / "manual.png.json").read_bytes()
    argv = _argv(trained_model, synthetic_folder, local, sam)
    assert main(argv) == 1  # broken.png failed
    local_out = capsys.readouterr()
    argv = _argv(trained_model, synthetic_folder, dist, sam, "--ray", ray_address)
    assert main(argv) == 1
    out = capsys.readouterr()
    assert "broken.png: " in out.err and "not a readable image" in out.err
    summary = [line for line in out.out.splitlines() if line.startswith("disc:")]
    assert summary == [line.replace("/local/", "/dist/") for line in local_out.out.splitlines()
                       if line.startswith("disc:")]  # fmt: skip
    assert "1 skipped (manual, reviewed or done), 1 failed" in summary[0]
    assert (dist / "annotations" / "manual.png.json").read_bytes() == manual
    written = _annotations(dist)
    assert len(written) > 1  # the manual image and at least one prediction
    _assert_same(written, _annotations(local))
    _no_partial_files(dist)
    return dist, argv, summary


def test_a_ray_run_of_one_image_equals_the_local_run(
    ray_address, trained_model, synthetic_folder, tiny_sam_checkpoint, tmp_path,
    save_annotation, capsys,
) -> None:  # fmt: skip
    """The fast sibling of the test below: one target besides the manual and corrupt files."""
    _ray_equals_local(ray_address, trained_model, synthetic_folder, tiny_sam_checkpoint,
                      tmp_path, save_annotation, capsys, 1)  # fmt: skip


@pytest.mark.slow  # ~30 s idle, more on a busy 2-core machine: the fast sibling is above
def test_ray_run_equals_local_run_reports_corrupt_and_keeps_manual_work(
    ray_address, trained_model, synthetic_folder, tiny_sam_checkpoint, tmp_path,
    save_annotation, capsys,
) -> None:  # fmt: skip
    dist, argv, summary = _ray_equals_local(
        ray_address, trained_model, synthetic_folder, tiny_sam_checkpoint, tmp_path,
        save_annotation, capsys, 5,
    )  # fmt: skip

    # a rerun does only what is missing: the corrupt image again, nothing else rewritten
    mtimes = {p.name: p.stat().st_mtime_ns for p in (dist / "annotations").iterdir()}
    assert main(argv) == 1
    again = capsys.readouterr()
    assert "(6 of the images were finished by an earlier run)" in again.out
    assert [line for line in again.out.splitlines() if line.startswith("disc:")] == summary
    assert {p.name: p.stat().st_mtime_ns for p in (dist / "annotations").iterdir()} == mtimes


@pytest.mark.slow  # ~30 s idle, minutes on a busy 2-core machine: the fast sibling is below
def test_killed_driver_then_rerun_completes_every_image_once(
    ray_address, trained_model, synthetic_folder, tiny_sam_checkpoint, tmp_path,
    save_annotation, capsys,
) -> None:  # fmt: skip
    folder = _write_targets(tmp_path / "dist", 16, save_annotation)
    (folder / "broken.png").unlink()
    local = tmp_path / "local"
    shutil.copytree(folder, local)
    argv = _argv(trained_model, synthetic_folder, folder, tiny_sam_checkpoint, "--ray", ray_address)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    driver = subprocess.Popen([sys.executable, "-m", "samic_core.cli.main", *argv], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    runs = folder / "annotations" / RUNS_DIRNAME
    deadline = time.monotonic() + 120
    try:
        while not any(runs.glob("*/done/*/*.json")):
            assert driver.poll() is None, "the driver ended before finishing an image"
            assert time.monotonic() < deadline, "no image finished within 120 s"
            time.sleep(0.02)
    finally:
        driver.send_signal(signal.SIGKILL)
        driver.wait()
    done_at_kill = len(list(runs.glob("*/done/*/*.json")))
    assert 1 <= done_at_kill < 17

    assert main(argv) == 0
    out = capsys.readouterr().out
    resumed = int(out.split("(")[-1].split()[0]) if "earlier run" in out else 0
    assert resumed >= done_at_kill  # a stray worker of the killed run may have finished more
    markers = sorted(p.name for p in runs.glob("*/done/*/*.json"))
    assert markers == sorted(f"{p.name}.json" for p in folder.glob("*.png"))  # each image once
    _no_partial_files(folder)
    assert main(_argv(trained_model, synthetic_folder, local, tiny_sam_checkpoint)) == 0
    _assert_same(_annotations(folder), _annotations(local))


def test_embed_ray_fills_a_cache_the_local_reader_accepts(
    ray_address, tiny_sam_checkpoint, image_folder, tmp_path, capsys
) -> None:
    from samic_core.sam.cache import EmbeddingCache
    from samic_core.sam.engine import SamEngine

    cache = tmp_path / "shared_cache"
    (image_folder / "zz_broken.png").write_bytes(b"nope")
    argv = ["embed", str(image_folder), "--checkpoint", str(tiny_sam_checkpoint),
            "--cache-dir", str(cache)]  # fmt: skip
    assert main([*argv, "--ray", ray_address]) == 1
    out = capsys.readouterr()
    assert (
        out.out.startswith("3 encoded, 0 already cached, 1 failed") and "zz_broken.png" in out.err
    )
    engine = SamEngine(tiny_sam_checkpoint, "auto", "cpu", EmbeddingCache(cache))
    for name in ("a.png", "b.png", "c.png"):
        emb = engine.cached_embedding(image_folder / name)
        assert emb is not None
        fresh = engine.encode(cv2.imread(str(image_folder / name))[..., ::-1].copy())
        np.testing.assert_allclose(emb.features.numpy(), fresh.features.numpy(), atol=1e-5)
    assert main(argv) == 1  # the local path: everything cached already
    assert capsys.readouterr().out.startswith("0 encoded, 3 already cached, 1 failed")


def test_a_worker_skips_images_finished_by_an_earlier_or_stray_worker(
    trained_model, synthetic_folder, tiny_sam_checkpoint, tmp_path, save_annotation
) -> None:
    """The killed-driver test's fast sibling, without a Ray runtime: the actor class itself."""
    from samic_core.fileio import read_image_rgb
    from samic_core.peaks import PeakRule
    from samic_core.predict.autoannotate import ImageOutcome
    from samic_core.predict.references import select_references
    from samic_core.scale.ledger import RunLedger
    from samic_core.scale.ray_predict import PredictActor, PredictJob

    folder = _write_targets(tmp_path / "t", 4, save_annotation)
    refs = select_references(AnnotationStore(synthetic_folder), "disc", 2)
    job = PredictJob(
        model=str(trained_model), refs_folder=str(synthetic_folder),
        references={"disc": [(str(p), pts.tolist()) for p, pts in refs]},
        images_folder=str(folder), out=None, one_prompt=False, rule=PeakRule.named("paper", 0.3),
        sam={"checkpoint": str(tiny_sam_checkpoint), "model_type": "auto", "cache_dir": None,
             "cache_dtype": "float32", "max_bytes": None},
        ledger=str(tmp_path / "ledger"), labels=["disc"],
    )  # fmt: skip
    paths = [folder / n for n in ("t00.png", "t01.png", "t02.png", "t03.png", "broken.png")]

    def batch(ps: list[Path]) -> dict:
        pixels, errors = [], []
        for p in ps:
            try:
                pixels.append(read_image_rgb(p))
                errors.append("")
            except Exception as e:  # noqa: BLE001
                pixels.append(np.zeros((1, 1, 3), np.uint8))
                errors.append(str(e))
        return {"path": np.array([str(p) for p in ps]), "pixels": pixels, "error": errors}

    PredictActor(job)(batch(paths[:2]))  # a run killed after two images
    ledger = RunLedger(job.ledger)
    store = AnnotationStore(folder)
    stray = [ImageOutcome("t02.png", "protected")]  # what t02 cannot be on its own
    ledger.record(paths[2], stray, store)  # a stray worker of the killed run finished t02 meanwhile
    before = {p.name: p.stat().st_mtime_ns for p in (folder / "annotations").iterdir()}
    rows = PredictActor(job)(batch(paths))  # the rerun's worker, given every image
    outcomes = {n: json.loads(o)[0] for n, o in zip(rows["image"], rows["outcomes"], strict=True)}
    assert outcomes["t02.png"]["status"] == "protected"  # the stray worker's record, not redone
    assert outcomes["broken.png"]["status"] == "failed" and ledger.finished(paths[4], store) is None
    after = {p.name: p.stat().st_mtime_ns for p in (folder / "annotations").iterdir()}
    assert {n: t for n, t in after.items() if n in before} == before  # t00, t01 not rewritten
    assert all(ledger.finished(p, store) is not None for p in paths[:4])


def test_no_marker_when_the_user_cleared_the_image_right_after_its_save(
    trained_model, synthetic_folder, tiny_sam_checkpoint, tmp_path, save_annotation, monkeypatch
) -> None:
    """The gap between a worker's save and its marker: an image cleared there is done again."""
    from samic_core.fileio import read_image_rgb
    from samic_core.peaks import PeakRule
    from samic_core.predict.references import select_references
    from samic_core.scale import ray_predict
    from samic_core.scale.ledger import RunLedger
    from samic_core.scale.ray_predict import PredictActor, PredictJob

    folder = _write_targets(tmp_path / "t", 2, save_annotation)
    refs = select_references(AnnotationStore(synthetic_folder), "disc", 2)
    job = PredictJob(
        model=str(trained_model), refs_folder=str(synthetic_folder),
        references={"disc": [(str(p), pts.tolist()) for p, pts in refs]},
        images_folder=str(folder), out=None, one_prompt=False,
        rule=PeakRule.named("paper", 0.05),
        sam={"checkpoint": str(tiny_sam_checkpoint), "model_type": "auto", "cache_dir": None,
             "cache_dtype": "float32", "max_bytes": None},
        ledger=str(tmp_path / "ledger"), labels=["disc"],
    )  # fmt: skip
    real = ray_predict.annotate_image

    def save_then_user_clears(predictor, engine, path, store, *args):
        outcomes = real(predictor, engine, path, store, *args)
        store.delete(path.name)
        return outcomes

    monkeypatch.setattr(ray_predict, "annotate_image", save_then_user_clears)
    path = folder / "t00.png"
    batch = {"path": np.array([str(path)]), "pixels": [read_image_rgb(path)], "error": [""]}
    rows = PredictActor(job)(batch)
    written = json.loads(rows["outcomes"][0])[0]
    assert written["status"] == "written" and written["objects"] > 0
    assert RunLedger(job.ledger).finished(path, AnnotationStore(folder)) is None


def test_a_big_image_travels_as_its_path_and_the_worker_memory_maps_it(
    trained_model, synthetic_folder, tiny_sam_checkpoint, tmp_path, monkeypatch
) -> None:
    """The reader stage does not decode an image over RASTER_PIXELS (its pixels would cross
    Ray's object store, a gigabyte each): the worker memory-maps it as the local path does, and
    writes the annotation the local path writes."""
    from samic_core import raster
    from samic_core.peaks import PeakRule
    from samic_core.predict import pipeline
    from samic_core.predict.references import select_references
    from samic_core.scale import ray_predict
    from samic_core.scale.ray_predict import PredictActor, PredictJob, read_row

    monkeypatch.setattr(raster, "RASTER_PIXELS", 20_000)  # 200 x 200 is "big" here
    monkeypatch.setattr(raster, "OVERVIEW_SIDE", 100)
    monkeypatch.setattr(pipeline, "rasters_dir", lambda: tmp_path / "rasters")
    folder = tmp_path / "big"
    folder.mkdir()
    rgb = cv2.resize(make_synthetic_image(96, 640).rgb, (200, 200), interpolation=cv2.INTER_LINEAR)
    big, small = folder / "big.png", folder / "small.png"
    cv2.imwrite(str(big), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(small), cv2.cvtColor(rgb[:100, :100], cv2.COLOR_RGB2BGR))

    row = read_row({"path": str(big)})
    assert row["mapped"] and row["error"] == "" and row["pixels"].shape == (1, 1, 3)
    kept = read_row({"path": str(small)})
    assert not kept["mapped"] and kept["pixels"].shape == (100, 100, 3)

    refs = select_references(AnnotationStore(synthetic_folder), "disc", 2)
    job = PredictJob(
        model=str(trained_model), refs_folder=str(synthetic_folder),
        references={"disc": [(str(p), pts.tolist()) for p, pts in refs]},
        images_folder=str(folder), out=str(tmp_path / "ray_out"), one_prompt=False,
        rule=PeakRule.named("paper", 0.3),
        sam={"checkpoint": str(tiny_sam_checkpoint), "model_type": "auto", "cache_dir": None,
             "cache_dtype": "float32", "max_bytes": None},
        ledger=str(tmp_path / "ledger"), labels=["disc"],
    )  # fmt: skip
    given = []
    real = ray_predict.annotate_image

    def spy(predictor, engine, path, store, jobs, one_prompt, image, tiling):
        given.append(image)
        return real(predictor, engine, path, store, jobs, one_prompt, image, tiling)

    monkeypatch.setattr(ray_predict, "annotate_image", spy)
    batch = {k: [row[k]] for k in row}
    out = json.loads(PredictActor(job)(batch)["outcomes"][0])[0]
    assert given == [None]  # the worker loads it itself: memory-mapped (pipeline.load_image)
    assert any((tmp_path / "rasters").iterdir())  # decoded once to disk, then mapped
    assert out["status"] == "written", out

    local = dataclasses.replace(job, out=str(tmp_path / "local_out"), ledger=str(tmp_path / "l2"))
    actor = PredictActor(local)
    expected = real(actor.predictor, actor.engine, big, actor.store, actor.jobs, False,
                    None, actor.tiling)  # fmt: skip
    assert expected[0].objects == out["objects"]
    ray_ann = AnnotationStore(folder, tmp_path / "ray_out").load_json("big.png")
    local_ann = AnnotationStore(folder, tmp_path / "local_out").load_json("big.png")
    assert [o.positive_points for o in ray_ann.objects] == [
        o.positive_points for o in local_ann.objects
    ]
