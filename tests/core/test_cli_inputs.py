"""One way to name inputs: the thing a command works on is its first argument, what it writes is
--out, other inputs are named flags; the older spellings still work. Also the flags that used to
mislead: --backbone-weights on the commands that build SAMIC's backbone, `weights download --out`,
--batch-size / --loaders with --ray, --cpus-per-worker."""

from __future__ import annotations

from pathlib import Path

import pytest

from samic_core.cli.main import build_parser, main


def _parse(*argv: str):
    return build_parser().parse_args(list(argv))


def _one_error_line(capsys: pytest.CaptureFixture, command: str) -> str:
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"samic {command}: error: "), lines[0]
    return lines[0]


# (new spelling, old spelling, attribute, value) - both parse to the same value
SPELLINGS = {
    "predict": (["predict", "imgs", "--model", "m.samic"],
                ["predict", "--images", "imgs", "--model", "m.samic"], "folder", Path("imgs")),
    "eval": (["eval", "ds", "--format", "fss", "--method", "copy", "--out", "r"],
             ["eval", "--dataset", "ds", "--format", "fss", "--method", "copy", "--out", "r"],
             "dataset", Path("ds")),
    "to-sambox": (["to-sambox", "ds", "--format", "fss", "--out", "o"],
                  ["to-sambox", "--dataset", "ds", "--format", "fss", "--out", "o"],
                  "dataset", Path("ds")),
    "synth": (["synth", "--out", "o"], ["synth", "o"], "out", Path("o")),
    "model-info": (["model-info", "m.samic"], ["model-info", "--model", "m.samic"], "model",
                   Path("m.samic")),
    "weights download": (["weights", "download", "vit_b", "--out", "d"],
                         ["weights", "download", "vit_b", "--dest", "d"], "dest", Path("d")),
}  # fmt: skip


@pytest.mark.parametrize("case", list(SPELLINGS))
def test_new_and_old_spellings_mean_the_same(case: str) -> None:
    new, old, attr, value = SPELLINGS[case]
    assert getattr(_parse(*new), attr) == value
    assert getattr(_parse(*old), attr) == value


def test_an_input_given_twice_differently_is_refused(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as e:
        main(["predict", "a", "--images", "b", "--model", "m.samic"])
    assert e.value.code == 2
    line = _one_error_line(capsys, "predict")
    assert "FOLDER" in line and "--images" in line


def test_a_missing_main_input_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["predict", "--model", str(tmp_path / "m.samic")]) == 2
    assert "FOLDER" in _one_error_line(capsys, "predict")
    assert main(["eval", "--format", "fss", "--method", "copy", "--out", str(tmp_path)]) == 2
    assert "DATASET" in _one_error_line(capsys, "eval")
    assert main(["synth"]) == 2
    assert "--out" in _one_error_line(capsys, "synth")


def _labelme_source(tmp_path: Path, image_folder: Path) -> Path:
    """A LabelMe folder with one square on b.png (of the shared image_folder fixture)."""
    import json

    src = tmp_path / "labelme"
    src.mkdir()
    shape = {"label": "blob", "shape_type": "polygon",
             "points": [[140, 80], [180, 80], [180, 120], [140, 120]]}  # fmt: skip
    data = {"imagePath": "b.png", "imageHeight": 240, "imageWidth": 320, "shapes": [shape]}
    (src / "b.json").write_text(json.dumps(data))
    return src


def test_import_names_the_folder_first_and_the_old_form_still_works(
    tmp_path: Path, image_folder: Path, capsys: pytest.CaptureFixture
) -> None:
    src = _labelme_source(tmp_path, image_folder)
    assert main(["import", str(image_folder), "--format", "labelme", "--from", str(src)]) == 0
    assert (image_folder / "annotations" / "b.png.json").is_file()
    out = capsys.readouterr().out
    assert "1 image, 1 object" in out
    argv = ["import", str(src), "--format", "labelme", "--into", str(image_folder), "--overwrite"]
    assert main(argv) == 0
    assert "1 image, 1 object" in capsys.readouterr().out
    assert main(["import", str(image_folder), "--format", "labelme"]) == 2
    assert "--from" in _one_error_line(capsys, "import")


def test_predict_takes_its_references_from_the_folder_by_default() -> None:
    from samic_core.cli.predict import folders

    assert folders(_parse("predict", "imgs", "--model", "m.samic")) == (Path("imgs"), Path("imgs"))
    args = _parse("predict", "imgs", "--refs", "refs", "--model", "m.samic")
    assert folders(args) == (Path("imgs"), Path("refs"))


# ---- --backbone-weights ---------------------------------------------------------------------


def _annotated(image_folder: Path) -> Path:
    """image_folder with one 'disc' object (a click and a mask) on a.png: a reference."""
    import numpy as np

    from samic_core.annotation import AnnotatedObject, AnnotationStore, ImageAnnotation, Point

    store = AnnotationStore(image_folder)
    inst = np.zeros((240, 320), np.uint16)  # the images are 320 x 240
    inst[90:150, 50:110] = 1
    obj = AnnotatedObject(id=1, label="disc", points=[Point(x=80, y=120)])
    sha = store.image_sha256(image_folder / "a.png")
    store.save(ImageAnnotation(image="a.png", image_sha256=sha, width=320, height=240,
                               objects=[obj]), inst)  # fmt: skip
    return image_folder


def _imagenet_model(path: Path) -> Path:
    """A model file (no weights) whose backbone is recorded as torchvision's ImageNet one."""
    from samic_core.testing.model_files import plain_meta, write_model_dict

    return write_model_dict(path, plain_meta(backbone_weights="imagenet"))


def test_predict_offline_names_a_flag_predict_accepts(
    tmp_path: Path, image_folder: Path, capsys: pytest.CaptureFixture, monkeypatch
) -> None:
    import torchvision

    def offline(*args, **kwargs):
        raise OSError("Temporary failure in name resolution")

    monkeypatch.setattr(torchvision.models, "resnet50", offline)
    model = _imagenet_model(tmp_path / "m.samic")
    assert main(["predict", str(_annotated(image_folder)), "--model", str(model)]) == 2
    line = _one_error_line(capsys, "predict")
    assert "--backbone-weights PATH" in line
    args = _parse("predict", "imgs", "--model", "m.samic", "--backbone-weights", "r50.pth")
    assert args.backbone_weights == "r50.pth"


def test_predict_and_eval_load_the_backbone_from_backbone_weights(
    tmp_path: Path, image_folder: Path, capsys: pytest.CaptureFixture
) -> None:
    from samic_core.eval.synth import generate_dataset

    model = _imagenet_model(tmp_path / "m.samic")
    missing = tmp_path / "r50.pth"
    argv = ["predict", str(_annotated(image_folder)), "--model", str(model)]
    assert main([*argv, "--backbone-weights", str(missing)]) == 2
    assert f"{missing}: backbone weights file does not exist" in _one_error_line(capsys, "predict")
    generate_dataset(tmp_path / "fss", 2, 2, 0, 64)
    argv = ["eval", str(tmp_path / "fss"), "--format", "fss", "--method", "samic",
            "--model", str(model), "--out", str(tmp_path / "r"),
            "--backbone-weights", str(missing)]  # fmt: skip
    assert main(argv) == 2
    assert f"{missing}: backbone weights file does not exist" in _one_error_line(capsys, "eval")


# ---- weights download --out -----------------------------------------------------------------


def test_weights_saved_elsewhere_say_how_to_use_them(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from samic_core.sam.weights import KNOWN_CHECKPOINTS

    info = KNOWN_CHECKPOINTS["vit_b"]
    (tmp_path / info.filename).write_bytes(b"present")  # already there: nothing is downloaded
    assert main(["weights", "download", "vit_b", "--out", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    path = tmp_path / info.filename
    assert captured.out.strip() == str(path)  # stdout stays the path alone, for scripts
    assert f"--checkpoint {path}" in captured.err
    with pytest.raises(SystemExit):
        main(["weights", "download", "--help"])
    assert "--checkpoint" in capsys.readouterr().out


# ---- --ray and the single-machine pipeline flags --------------------------------------------


@pytest.mark.parametrize("flag", ["--batch-size", "--loaders"])
def test_pipeline_flags_with_ray_are_refused(
    flag: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    (tmp_path / "imgs").mkdir()
    argv = ["predict", str(tmp_path / "imgs"), "--model", str(tmp_path / "m.samic"), "--ray"]
    assert main([*argv, flag, "4"]) == 2
    line = _one_error_line(capsys, "predict")
    assert flag in line and "--ray" in line


def test_cpus_per_worker_help_says_what_is_kept_for_reading(
    capsys: pytest.CaptureFixture,
) -> None:
    from samic_core.scale.ray_runtime import READER_CPUS

    with pytest.raises(SystemExit):
        main(["predict", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert f"{READER_CPUS:g} CPU kept for reading" in text
    assert "one CPU kept for reading" not in text


def test_references_missing_from_folder_point_at_refs(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """Checked from the model file's metadata, before its backbone is built."""
    model = _imagenet_model(tmp_path / "m.samic")
    (tmp_path / "imgs").mkdir()
    assert main(["predict", str(tmp_path / "imgs"), "--model", str(model)]) == 2
    line = _one_error_line(capsys, "predict")
    assert "'disc'" in line and "--refs REFS" in line
