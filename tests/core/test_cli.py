"""`samic segment` and `samic embed` end to end on the tiny SAM."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from segment_anything import SamPredictor

from samic_core.cli.main import main as samic
from samic_core.fileio import read_image_rgb
from samic_core.sam.loading import load_sam


def test_segment_matches_sam_predictor(
    tiny_sam_checkpoint: Path, image_folder: Path, tmp_path, capsys
):
    out = tmp_path / "mask.png"
    args = [
        "segment",
        str(image_folder / "a.png"),
        "--checkpoint",
        str(tiny_sam_checkpoint),
        "--model-type",
        "auto",
        "--device",
        "cpu",
        "--point",
        "80,120",
        "--point",
        "85,118,1",
        "--point",
        "230,110,0",
        "--out",
        str(out),
    ]
    assert samic(args) == 0
    line = capsys.readouterr().out
    assert line.startswith("predicted IoU ")
    mask = cv2.imread(str(out), cv2.IMREAD_UNCHANGED)
    sam, _ = load_sam(tiny_sam_checkpoint)
    p = SamPredictor(sam)
    p.set_image(read_image_rgb(image_folder / "a.png"))
    masks, scores, _ = p.predict(
        point_coords=np.array([[80, 120], [85, 118], [230, 110]], float),
        point_labels=np.array([1, 1, 0]),
        multimask_output=False,
    )
    np.testing.assert_array_equal(mask > 0, masks[0])
    assert f"{scores[0]:.4f}" in line
    # second run reads the cached embedding and gives the same mask
    out2 = tmp_path / "mask2.png"
    assert samic([*args[:-1], str(out2)]) == 0
    np.testing.assert_array_equal(cv2.imread(str(out2), cv2.IMREAD_UNCHANGED), mask)


def test_segment_with_box(tiny_sam_checkpoint, image_folder, tmp_path, capsys):
    out = tmp_path / "m.png"
    rc = samic(
        [
            "segment",
            str(image_folder / "b.png"),
            "--checkpoint",
            str(tiny_sam_checkpoint),
            "--model-type",
            "auto",
            "--device",
            "cpu",
            "--box",
            "120,60,200,140",
            "--out",
            str(out),
        ]
    )
    assert rc == 0 and out.is_file()


def test_segment_errors_are_clear(tiny_sam_checkpoint, image_folder, tmp_path, capsys):
    assert (
        samic(
            [
                "segment",
                str(image_folder / "a.png"),
                "--checkpoint",
                str(tiny_sam_checkpoint),
                "--out",
                str(tmp_path / "m.png"),
            ]
        )
        == 2
    )
    assert "at least one --point or a --box" in capsys.readouterr().err
    assert (
        samic(
            [
                "segment",
                str(tmp_path / "nope.png"),
                "--checkpoint",
                str(tiny_sam_checkpoint),
                "--point",
                "1,1",
                "--out",
                str(tmp_path / "m.png"),
            ]
        )
        == 2
    )
    assert "nope.png: image file does not exist" in capsys.readouterr().err
    assert (
        samic(
            [
                "segment",
                str(image_folder / "a.png"),
                "--point",
                "1,1",
                "--model-type",
                "vit_l",
                "--out",
                str(tmp_path / "m.png"),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "samic weights download vit_l" in err and "--checkpoint PATH" in err
    with pytest.raises(SystemExit):
        samic(["segment", "x.png", "--point", "1,2,5", "--out", "m.png"])


def test_embed_folder_skips_cached_and_survives_bad_images(
    tiny_sam_checkpoint, image_folder, tmp_path, capsys
):
    (image_folder / "broken.jpg").write_bytes(b"not an image")
    cache = tmp_path / "cache"
    base = [
        "embed",
        str(image_folder),
        "--checkpoint",
        str(tiny_sam_checkpoint),
        "--model-type",
        "auto",
        "--device",
        "cpu",
        "--cache-dir",
        str(cache),
    ]
    assert samic(base) == 1  # one failure is reported
    captured = capsys.readouterr()
    assert "3 encoded, 0 already cached, 1 failed" in captured.out
    assert "broken.jpg" in captured.err and "not a readable image" in captured.err
    (image_folder / "broken.jpg").unlink()
    assert samic(base) == 0
    assert "0 encoded, 3 already cached, 0 failed" in capsys.readouterr().out
    assert len(list(cache.rglob("*.emb"))) == 3


def test_help_for_every_subcommand(capsys):
    for cmd in (["--help"], ["weights", "--help"], ["embed", "--help"], ["segment", "--help"]):
        with pytest.raises(SystemExit) as e:
            samic(cmd)
        assert e.value.code == 0
    assert "segment" in capsys.readouterr().out
