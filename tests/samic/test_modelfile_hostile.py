"""Hostile and damaged model files: every archive member within a size budget, metadata
validated field by field, and every reader (model-info, predict, the app's list) ends in one
clear line naming the file and the problem."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from samic_core.cli.main import main
from samic_core.errors import CheckpointError
from samic_core.modelfile import meta as meta_mod
from samic_core.modelfile.archive import PICKLE_BUDGET
from samic_core.modelfile.file import read_model_file
from samic_core.modelfile.meta import ModelMeta, read_model_meta
from samic_core.testing.model_files import (
    MIB,
    plain_meta,
    write_inflating_model,
    write_model_dict,
    write_model_pickle,
)

ROOT = Path(__file__).resolve().parents[2]

# (metadata change, the field the error must name)
BAD_META = {
    "int classes": ({"classes": [1, 2]}, "classes"),
    "no classes": ({"classes": []}, "classes"),
    "class name of 10k chars": ({"classes": ["a" * 10_000]}, "classes"),
    "class name with a newline": ({"classes": ["a\nb"]}, "classes"),
    "image size as text": ({"image_size": "224"}, "image_size"),
    "image size 8192": ({"image_size": 8192}, "image_size"),
    "image size 100": ({"image_size": 100}, "image_size"),
    "no sha": ({"backbone_sha256": None}, "backbone_sha256"),
    "short sha": ({"backbone_sha256": "abc"}, "backbone_sha256"),
    "unknown backbone": ({"backbone": "vgg16"}, "backbone"),
    "output as a number": ({"output": 1}, "output"),
    "negative epochs": ({"epochs_run": -1}, "epochs_run"),
    "epochs as a float": ({"epochs_run": 2.5}, "epochs_run"),
    "loss as text": ({"train_loss": "low"}, "train_loss"),
    "presence as text": ({"presence": "yes"}, "presence"),
    "squeeze depth 9": ({"squeeze_depth": 9}, "squeeze_depth"),
    "unknown loss term": ({"loss_terms": ["dice"]}, "loss_terms"),
    "config as text": ({"config": "paper"}, "config"),
    "unknown schedule": ({"config": {"schedule": 5}}, "config"),
    "nested config": ({"config": {"schedule": "paper", "x": {"y": [1]}}}, "config"),
    "created as a number": ({"created": 5}, "created"),
    "unknown field": ({"colour": "red"}, "colour"),
}


def _one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text[-2000:]
    return lines[0]


@pytest.mark.parametrize("case", list(BAD_META))
def test_bad_metadata_is_a_clear_error_naming_the_file_and_field(tmp_path: Path, case: str):
    change, field = BAD_META[case]
    path = write_model_dict(tmp_path / "bad.samic", plain_meta(**change))
    for read in (read_model_meta, read_model_file):  # the app's and model-info's, predict's
        with pytest.raises(CheckpointError) as info:
            read(path)
        message = _one_line(str(info.value))
        assert str(path) in message and repr(field) in message, message
        assert len(message) < 400


def test_missing_field_and_metadata_that_is_not_a_mapping(tmp_path: Path):
    meta = plain_meta()
    del meta["backbone"]
    path = write_model_dict(tmp_path / "m.samic", meta)
    with pytest.raises(CheckpointError, match=r"m.samic: model metadata field 'backbone': is "):
        read_model_meta(path)
    path = write_model_dict(tmp_path / "l.samic", [1, 2])
    with pytest.raises(CheckpointError, match=r"l.samic: model metadata is not a mapping"):
        read_model_meta(path)


def test_numbers_beyond_any_float_and_torchs_refusals_are_clear(tmp_path: Path):
    path = write_model_dict(tmp_path / "huge.samic", plain_meta(val_loss=10**5000))
    with pytest.raises(CheckpointError, match=r"huge.samic: .*'val_loss': expected a number"):
        read_model_meta(path)
    with pytest.raises(CheckpointError) as info:  # torch's weights-only reader refuses it
        read_model_file(path)
    message = _one_line(str(info.value))
    assert "weights-only unpickler refused it" in message and "PyTorch 2.6" not in message


def test_valid_metadata_reads_as_before(tmp_path: Path):
    path = write_model_dict(tmp_path / "ok.samic", plain_meta(classes=["disc", "dot"]))
    meta = read_model_meta(path)
    assert meta.classes == ("disc", "dot") and meta.image_size == 64
    assert meta.loss_terms == ("kld", "cc", "nss")  # no terms recorded: the paper schedule's
    assert ModelMeta.from_dict(meta.to_dict(), path) == meta


def test_the_metadata_vocabularies_match_the_models():
    """Metadata is read without torch, so it repeats the model's vocabularies."""
    from samic_core.model.backbone import BACKBONES
    from samic_core.model.correlation import SUPPORT_RESIZE_MODES
    from samic_core.model.learner import SQUEEZE_DEPTHS
    from samic_core.model.samic_net import OUTPUTS, SIZE_MULTIPLE

    assert meta_mod.BACKBONE_NAMES == BACKBONES
    assert meta_mod.OUTPUT_NAMES == OUTPUTS
    assert meta_mod.SUPPORT_RESIZE_NAMES == SUPPORT_RESIZE_MODES
    lo, hi = meta_mod.SQUEEZE_DEPTH_RANGE
    assert tuple(range(lo, hi + 1)) == SQUEEZE_DEPTHS
    assert meta_mod.SIZE_STEP == SIZE_MULTIPLE


# pickles that make an unpickler raise TypeError / AttributeError rather than UnpicklingError
PAYLOADS = {
    "OrderedDict of an int": b"\x80\x02ccollections\nOrderedDict\nK\x01\x85R.",
    "set of a list": b"\x80\x02cbuiltins\nset\n]]a\x85R.",
    "state set on a tensor": b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n)R}b.",
    "truncated": b"\x80\x02}q\x00(X\x06\x00\x00\x00format",
}


@pytest.mark.parametrize("case", list(PAYLOADS))
def test_hostile_pickles_are_unreadable_files_not_tracebacks(tmp_path: Path, case: str):
    path = write_model_pickle(tmp_path / "p.samic", PAYLOADS[case])
    for read in (read_model_meta, read_model_file):
        with pytest.raises(CheckpointError, match="p.samic: not a readable SAMIC model file"):
            read(path)


def test_model_info_and_predict_give_one_line(tmp_path: Path, capsys):
    bad = write_model_dict(tmp_path / "bad.pt", plain_meta(image_size="224"))
    pickled = write_model_pickle(tmp_path / "pickled.pt", PAYLOADS["set of a list"])
    folder = tmp_path / "images"
    folder.mkdir()
    for model, words in ((bad, "'image_size'"), (pickled, "not a readable")):
        capsys.readouterr()
        assert main(["model-info", "--model", str(model)]) == 2
        out, err = capsys.readouterr()
        assert out == "" and str(model) in _one_line(err) and words in err, err
        argv = ["predict", "--model", str(model), "--refs", str(folder), "--images", str(folder)]
        assert main([*argv, "--device", "cpu"]) == 2
        out, err = capsys.readouterr()
        assert str(model) in _one_line(err) and words in err, err


def test_model_info_output_is_bounded(tmp_path: Path, capsys):
    classes = [f"{i:04d}" + "x" * 190 for i in range(1000)]  # the most metadata allows
    path = write_model_dict(tmp_path / "many.pt", plain_meta(classes=classes))
    assert main(["model-info", "--model", str(path)]) == 0
    out = capsys.readouterr().out
    assert len(out) < 10_000, len(out)
    assert "0000" in out and "(980 more)" in out


def test_inflating_metadata_is_refused_from_its_declared_size(tmp_path: Path, capsys):
    """1 MB on disk, 1 GiB once inflated: refused before a byte is inflated, in one line."""
    path = write_inflating_model(tmp_path / "bomb.samic", 1 << 30)
    assert path.stat().st_size < 2 * MIB
    for read in (read_model_meta, read_model_file):
        with pytest.raises(CheckpointError, match=r"bomb.samic: .*would inflate to 1024 MiB"):
            read(path)
    assert main(["model-info", "--model", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err) < 400 and "bomb.samic" in _one_line(err)


def test_every_archive_member_is_held_to_a_budget(tmp_path: Path):
    """A weight record that inflates to 512 MiB is refused by both readers (torch's too)."""
    path = write_inflating_model(tmp_path / "w.samic", 512 * MIB, member="archive/data/0")
    for read in (read_model_meta, read_model_file):
        with pytest.raises(CheckpointError, match=r"member 'archive/data/0' would inflate to 512"):
            read(path)


def test_a_lying_declared_size_is_not_trusted(tmp_path: Path):
    """The archive claims 1000 bytes (within budget) for a pickle that inflates to 64 MiB."""
    path = write_inflating_model(tmp_path / "liar.samic", 64 * MIB, declared=1000)
    with pytest.raises(CheckpointError, match="liar.samic: not a readable SAMIC model file"):
        read_model_meta(path)
    path = write_inflating_model(tmp_path / "liar2.samic", 64 * MIB, declared=PICKLE_BUDGET)
    with pytest.raises(CheckpointError, match="liar2.samic: not a readable SAMIC model file"):
        read_model_meta(path)


# VmHWM: this process's peak resident memory (ru_maxrss would include the parent's, as it
# survives exec)
READ_AND_MEASURE = """
import json, re, sys
from pathlib import Path
from samic_core.errors import CheckpointError
from samic_core.modelfile.meta import read_model_meta
status = lambda: Path("/proc/self/status").read_text()
peak = lambda: int(re.search(r"VmHWM:\\s*(\\d+) kB", status()).group(1)) * 1024
read_model_meta(sys.argv[1])
before, errors = peak(), []
for path in sys.argv[2:]:
    try:
        read_model_meta(path)
        errors.append(None)
    except CheckpointError as e:
        errors.append(str(e))
print(json.dumps({"grew": peak() - before, "errors": errors}))
"""


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="reads Linux's VmHWM")
def test_reading_inflating_files_stays_within_the_memory_budget(tmp_path: Path):
    """In a fresh process (the peak is per process): reading files that inflate to 256 MiB,
    with a true or a lying declared size, grows the peak memory by a few MiB at most."""
    good = write_model_dict(tmp_path / "good.samic", plain_meta())
    inflated = 256 * MIB
    bombs = [
        write_inflating_model(tmp_path / "true.samic", inflated),
        write_inflating_model(tmp_path / "lying.samic", inflated, declared=PICKLE_BUDGET),
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", READ_AND_MEASURE, str(good), *map(str, bombs)],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert all(e is not None for e in report["errors"]), report
    assert report["grew"] < 4 * PICKLE_BUDGET + 16 * MIB < inflated // 4, report
