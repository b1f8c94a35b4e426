"""Scale-out pieces that need no Ray: the run ledger, the options, and the local path staying
Ray-free (tests/samic/test_scale_ray.py runs the pipeline itself)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from samic_core.annotation import AnnotationStore
from samic_core.cli.main import main
from samic_core.predict.autoannotate import ImageOutcome
from samic_core.scale.ledger import RunLedger, run_key

ROOT = Path(__file__).resolve().parents[2]


def test_ledger_records_finished_images_and_forgets_changed_ones(tmp_path: Path) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(b"pixels")
    store = AnnotationStore(tmp_path)
    ledger = RunLedger.for_run(store.dir, run_key({"model": "m", "k": [1, 2]}))
    assert ledger.finished(image, store) is None and ledger.all_finished([image], store) == {}
    outcomes = [ImageOutcome("a.png", "written", 2), ImageOutcome("a.png", "empty")]
    with ledger.claim("a.png"):
        ledger.record(image, outcomes, store)
    assert ledger.finished(image, store) == outcomes
    assert ledger.all_finished([image, tmp_path / "b.png"], store) == {"a.png": outcomes}
    # a leftover temp file of a killed marker write is no marker
    marker = ledger.marker_path("a.png")
    (marker.parent / ".b.png.json.x1.tmp").write_text("{")
    assert list(ledger.all_finished([image, tmp_path / "b.png"], store)) == ["a.png"]
    marker.write_text('{"stamp": [1, 2], "outc')  # a torn marker (cannot happen: atomic) is a miss
    assert ledger.finished(image, store) is None
    ledger.record(image, outcomes, store)
    image.write_bytes(b"other pixels")  # the image changed since: do it again
    assert ledger.finished(image, store) is None
    assert run_key({"k": [1, 2], "model": "m"}) == run_key({"model": "m", "k": [1, 2]})
    assert run_key({"model": "m", "k": [1, 3]}) != run_key({"model": "m", "k": [1, 2]})


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--gpus", "1"], "--gpus only applies with --ray"),
        (["--cpus-per-worker", "2"], "--cpus-per-worker only applies with --ray"),
        (["--limit", "0"], "--limit must be at least 1"),
        (["--ray", "--gpus", "-1"], "--gpus must be 0 or more"),
        (["--ray", "--cpus-per-worker", "0"], "--cpus-per-worker must be more than 0"),
    ],
)
def test_scale_options_are_checked_before_anything_runs(
    image_folder: Path, extra: list[str], message: str, capsys
) -> None:
    assert main(["embed", str(image_folder), *extra]) == 2
    assert message in capsys.readouterr().err


def test_local_embed_with_limit_never_imports_ray(
    image_folder: Path, tiny_sam_checkpoint: Path, tmp_path: Path
) -> None:
    """--limit N: only the first N images by name; the single-machine path does not load Ray."""
    code = (
        "import sys; from samic_core.cli.main import main; "
        f"code = main(['embed', {str(image_folder)!r}, '--limit', '2', '--checkpoint', "
        f"{str(tiny_sam_checkpoint)!r}, '--cache-dir', {str(tmp_path / 'cache')!r}]); "
        "assert 'ray' not in sys.modules, 'the local path imported ray'; sys.exit(code)"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("2 encoded, 0 already cached, 0 failed")


def test_ray_without_the_extra_is_a_one_line_error(image_folder: Path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if the extra were not installed
    for name in ("samic_core.scale.ray_runtime", "samic_core.scale.ray_embed"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    assert main(["embed", str(image_folder), "--ray"]) == 2
    err = capsys.readouterr().err
    assert "--ray needs the Ray extra: pip install -e '.[ray]'" in err and err.count("\n") == 1
