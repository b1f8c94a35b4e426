"""What the window says about SAM (issue 12 papercuts): loading progress, Retry after a failed
load, the not-loaded message cleared once SAM is ready, readable progress texts, in-app advice
instead of command-line flags, and `sambox --model-type`."""

from __future__ import annotations

from pathlib import Path

from gui_helpers import WAIT_MS, make_window, start_engine
from PySide6.QtCore import Qt

from sambox.__main__ import parse_args
from sambox.services.errors import describe_error, in_app_words
from samic_core.errors import DownloadError, SamicError
from samic_core.sam.weights import KNOWN_CHECKPOINTS, manual_download_hint


def test_loading_shows_progress_and_ready_replaces_the_not_loaded_message(qtbot, settings):
    w = make_window(qtbot, settings)
    w.editor._model_ready()  # a click before SAM is ready says so in the status bar
    assert w.status_text.text().startswith("No SAM model is loaded yet")
    steps: list[str] = []
    w.service.engine_loading_step.connect(steps.append)
    with qtbot.waitSignal(w.service.engine_ready, timeout=WAIT_MS):
        w.session.start_engine()
        assert w.sam_status.load_progress.isVisible()  # busy from the first moment
        assert w.model_label.text().startswith("SAM: loading")
    assert steps[0] == "Starting PyTorch…" and steps[1].startswith("Reading tiny_sam.pth")
    assert not w.sam_status.load_progress.isVisible()
    assert not w.status_text.text().startswith("No SAM model")
    assert "SAM is ready" in w.status_text.text()
    w.close()


def test_a_failed_load_offers_retry(qtbot, settings, tmp_path: Path, tiny_sam_checkpoint: Path):
    broken = tmp_path / "broken.pth"
    broken.write_bytes(b"not a checkpoint")
    settings.checkpoint = broken
    w = make_window(qtbot, settings)
    with qtbot.waitSignal(w.service.engine_failed, timeout=WAIT_MS):
        w.session.start_engine()
    assert w.banner.isVisible() and w.banner.retry.isVisible()
    settings.checkpoint = tiny_sam_checkpoint  # e.g. the file was being copied: now it is there
    with qtbot.waitSignal(w.service.engine_ready, timeout=WAIT_MS):
        qtbot.mouseClick(w.banner.retry, Qt.MouseButton.LeftButton)
    assert not w.banner.isVisible()
    w.close()


def test_folder_embedding_progress_text_fits_its_bar(qtbot, settings, image_folder):
    w = make_window(qtbot, settings)
    start_engine(qtbot, w)
    w.service.folder_progress.emit(3, 8, "c.png")
    bar = w.embed_progress
    qtbot.waitUntil(bar.isVisible, timeout=WAIT_MS)
    assert bar.text() == "Embedding 3 / 8"
    assert bar.width() >= bar.fontMetrics().horizontalAdvance("Embedding 888 / 888") + 20
    w.service.cancel_folder()
    w.close()


def test_dialog_messages_say_what_to_click_not_which_flag_to_pass():
    hint = manual_download_hint(KNOWN_CHECKPOINTS["vit_b"])
    text = describe_error(DownloadError(f"no network\n{hint}"), "downloading SAM")
    assert "--checkpoint" not in text and "Choose checkpoint file…" in text
    backbone = SamicError(
        "could not get the ImageNet weights of resnet50 from torchvision (offline). Download "
        "https://x/resnet50.pth yourself and pass --backbone-weights PATH, or pass "
        "--backbone-weights none for an untrained backbone (tests only)"
    )
    text = describe_error(backbone, "training SAMIC")
    assert "--backbone-weights" not in text
    assert "Backbone weights > From a file…" in text
    assert in_app_words("nothing to change") == "nothing to change"


def test_command_line_takes_model_type_and_keeps_the_plain_folder_form(tmp_path: Path):
    args = parse_args([str(tmp_path), "--checkpoint", "sam.pth", "--model-type", "vit_b"])
    assert args.folder == tmp_path and args.model_type == "vit_b"
    assert parse_args([str(tmp_path)]).model_type is None  # settings keep their own choice
