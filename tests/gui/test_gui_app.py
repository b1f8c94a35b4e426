"""App-level behaviour: responsiveness while encoding, no checkpoint, download failure, help,
view controls, and the worker pattern."""

from __future__ import annotations

import threading

import pytest
from gui_helpers import WAIT_MS, dismiss_errors, key, make_window, start_engine, view_pos
from PySide6.QtCore import QPoint, QPointF, Qt, QThreadPool, QTimer
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from sambox.__main__ import main
from sambox.keymap import BINDINGS
from sambox.services.workers import Worker
from sambox.widgets.dialogs import ShortcutsDialog


def test_event_loop_keeps_running_while_the_encoder_runs(qtbot, settings, image_folder):
    w = make_window(qtbot, settings)
    start_engine(qtbot, w)
    ticks = []
    timer = QTimer()
    timer.setInterval(2)
    timer.timeout.connect(lambda: ticks.append(w.service.is_embedded(image_folder / "a.png")))
    timer.start()
    with qtbot.waitSignal(w.service.embedding_ready, timeout=WAIT_MS) as blocker:
        w.service.request_embedding(image_folder / "a.png")  # returns at once
        queued_at = len(ticks)
    timer.stop()
    assert blocker.args == [str(image_folder / "a.png"), False]  # really encoded, not cached
    assert queued_at == 0  # requesting did not run the encoder on the GUI thread
    during = [t for t in ticks if not t]
    assert len(during) >= 3  # the GUI thread handled timer events while the encoder ran
    w.close()


def test_switching_images_does_not_wait_for_the_folder(qtbot, settings, image_folder):
    w = make_window(qtbot, settings)
    start_engine(qtbot, w)
    w.session.open_folder(image_folder)
    w.session.open_image("c.png")  # immediately, while the folder is being embedded
    assert w.session.current == "c.png" and w.canvas.image_size == (300, 200)
    with qtbot.waitSignal(w.editor.decoded, timeout=WAIT_MS):
        qtbot.mouseClick(w.canvas.viewport(), Qt.MouseButton.LeftButton, pos=view_pos(w, 100, 150))
    qtbot.waitUntil(lambda: not w.service.folder_busy, timeout=WAIT_MS)
    assert all(w.service.is_embedded(p) for p in w.project.images)
    assert w.image_list.tree.topLevelItem(0).text(2) == "✓"
    w.close()


def test_without_a_checkpoint_the_app_says_so_and_still_browses(qtbot, tmp_path, image_folder):
    from sambox.settings import AppSettings

    settings = AppSettings.from_file(tmp_path / "empty.ini")
    w = make_window(qtbot, settings)
    w.session.start_engine()
    assert w.banner.isVisible()
    assert "No SAM model is set up" in w.banner.text.text()
    assert w.banner.download.isVisible() and w.banner.choose.isVisible()
    w.session.open_folder(image_folder)
    assert w.canvas.image_size == (240, 320)
    qtbot.mouseClick(w.canvas.viewport(), Qt.MouseButton.LeftButton, pos=view_pos(w, 80, 120))
    assert w.editor.doc.objects == ()
    assert "No SAM model" in w.status_text.text()
    key(qtbot, w, "D")
    assert w.session.current == "b.png"
    # offline: the download fails with a clear message, and browsing goes on
    with qtbot.waitSignal(w.downloader.failed, timeout=WAIT_MS) as blocker:
        w.downloader.start("vit_b", tmp_path / "ckpt", url="http://127.0.0.1:9/sam.pth")
    assert "could not download" in blocker.args[0]
    assert "keep browsing" in w.banner.text.text()
    assert not list((tmp_path / "ckpt").glob("*"))  # no partial file left
    assert dismiss_errors(w) == 1
    key(qtbot, w, "A")
    assert w.session.current == "a.png"
    w.close()


def test_a_finished_download_becomes_the_checkpoint_and_sam_loads(
    qtbot, tmp_path, tiny_sam_checkpoint
):
    """The banner's download path (ModelSetup): the file the downloader wrote is remembered in
    the settings and the engine starts on it; the banner goes away."""
    from sambox.settings import AppSettings

    settings = AppSettings.from_file(tmp_path / "empty.ini")
    settings.device = "cpu"
    w = make_window(qtbot, settings)
    w.session.start_engine()
    assert w.banner.isVisible() and w.model_label.text() == "SAM: missing"
    with qtbot.waitSignal(w.service.engine_ready, timeout=WAIT_MS):
        w.downloader.finished.emit(str(tiny_sam_checkpoint))
    assert settings.checkpoint == tiny_sam_checkpoint
    assert not w.banner.isVisible() and w.model_label.text().startswith("SAM ")
    w.close()


def test_a_broken_checkpoint_is_reported_in_plain_words(qtbot, settings, tmp_path):
    bad = tmp_path / "broken.pth"
    bad.write_bytes(b"garbage")
    settings.checkpoint = bad
    w = make_window(qtbot, settings)
    with qtbot.waitSignal(w.service.engine_failed, timeout=WAIT_MS):
        w.session.start_engine()
    assert str(bad) in w.banner.text.text()
    assert not w.service.ready
    w.close()


def test_shortcuts_help_lists_every_binding(qtbot, window):
    key(qtbot, window, "F1")
    dialogs = [d for d in window.findChildren(ShortcutsDialog) if d.isVisible()]
    assert len(dialogs) == 1
    table = dialogs[0].table
    shown = {table.item(r, 1).text() for r in range(table.rowCount())}
    assert {b.text.replace("&", "").rstrip("…") for b in BINDINGS} <= shown
    dialogs[0].close()
    for b in BINDINGS:  # every keyed action really has its keys
        if b.action:
            keys = [s.toString() for s in window.actions[b.action].shortcuts()]
            assert len(keys) == len(b.keys), b


def test_zoom_fit_mask_toggle_and_opacity(qtbot, window):
    fit = window.canvas.zoom
    key(qtbot, window, "+")
    assert window.canvas.zoom == pytest.approx(fit * 1.25)
    key(qtbot, window, "-")
    key(qtbot, window, "-")
    assert window.canvas.zoom < fit
    key(qtbot, window, "F")
    assert window.canvas.zoom == pytest.approx(fit)
    key(qtbot, window, "V")
    assert not window.canvas._fill.isVisible()
    key(qtbot, window, "V")
    assert window.canvas._fill.isVisible()
    before = window.canvas._fill.opacity()
    key(qtbot, window, "}")  # Shift+] (] sizes the brush)
    assert window.canvas._fill.opacity() == pytest.approx(before + 0.1, abs=0.011)
    assert window.settings.overlay_opacity == pytest.approx(window.canvas._fill.opacity())


def test_the_wheel_zooms_towards_the_cursor(qtbot, window):
    """The image point under the cursor stays under it (Qt's own anchor read a cursor position
    the canvas never recorded, so the wheel zoomed towards the image's top-left corner)."""
    canvas = window.canvas
    key(qtbot, window, "+")
    key(qtbot, window, "+")
    key(qtbot, window, "+")  # the image is bigger than the view: it can scroll both ways
    vp = canvas.viewport().rect()
    at = QPointF(vp.width() * 0.8, vp.height() * 0.7)
    before = canvas.mapToScene(at.toPoint())
    zoom = canvas.zoom
    for _ in range(3):
        ev = QWheelEvent(
            at, canvas.viewport().mapToGlobal(at), QPoint(), QPoint(0, 120),
            Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase, False,
        )  # fmt: skip
        QApplication.sendEvent(canvas.viewport(), ev)
    after = canvas.mapToScene(at.toPoint())
    assert canvas.zoom > 1.5 * zoom
    assert abs(after.x() - before.x()) < 2 and abs(after.y() - before.y()) < 2, (before, after)
    centre = QPointF(vp.center())
    middle = canvas.mapToScene(centre.toPoint())
    key(qtbot, window, "+")  # the keys zoom about the view's centre
    moved = canvas.mapToScene(centre.toPoint()) - middle
    assert abs(moved.x()) < 2 and abs(moved.y()) < 2


def test_middle_drag_pans(qtbot, window):
    key(qtbot, window, "+")
    key(qtbot, window, "+")
    bar = window.canvas.horizontalScrollBar()
    bar.setValue(bar.maximum() // 2)
    start = bar.value()
    vp = window.canvas.viewport()
    mid = Qt.MouseButton.MiddleButton
    qtbot.mousePress(vp, mid, pos=view_pos(window, 160, 120))
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    p = QPointF(view_pos(window, 160, 120)) + QPointF(60, 0)
    move = QMouseEvent(
        QMouseEvent.Type.MouseMove,
        p,
        p,
        Qt.MouseButton.NoButton,
        mid,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(vp, move)
    qtbot.mouseRelease(vp, mid, pos=p.toPoint())
    assert bar.value() == start - 60


def test_worker_reports_progress_and_cancels(qtbot):
    pool = QThreadPool()
    gate = threading.Event()

    def job(ctx):
        for i in range(1000):
            ctx.progress(i)
            if i == 2:
                gate.wait(5)

    worker = Worker(job)
    seen = []
    worker.signals.progress.connect(seen.append)
    with qtbot.waitSignal(worker.signals.cancelled, timeout=WAIT_MS):
        pool.start(worker)
        qtbot.waitUntil(lambda: len(seen) >= 3, timeout=WAIT_MS)
        worker.cancel()
        gate.set()
    assert seen[:3] == [0, 1, 2] and len(seen) < 1000
    pool.waitForDone()

    ok = Worker(lambda ctx: "done")
    with qtbot.waitSignal(ok.signals.result, timeout=WAIT_MS) as blocker:
        pool.start(ok)
    assert blocker.args == ["done"]
    bad = Worker(lambda ctx: 1 / 0)
    with qtbot.waitSignal(bad.signals.error, timeout=WAIT_MS) as blocker:
        pool.start(bad)
    assert isinstance(blocker.args[0], ZeroDivisionError)
    pool.waitForDone()


def test_command_line_rejects_a_missing_folder(tmp_path, capsys):
    assert main([str(tmp_path / "nope")]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_a_click_is_decoded_while_another_image_is_being_encoded(qtbot, settings, image_folder):
    """Decodes of the image on screen do not queue behind a background encode."""
    from gui_helpers import click, open_folder

    w = make_window(qtbot, settings)
    start_engine(qtbot, w)
    w.service.cancel_folder()
    open_folder(qtbot, w, image_folder)
    w.service.cancel_folder()
    qtbot.waitUntil(lambda: not w.service.folder_busy, timeout=WAIT_MS)
    encoder = w.service._engine.sam.image_encoder
    original = encoder.forward
    entered, release = threading.Event(), threading.Event()

    def gated(x):
        entered.set()
        assert release.wait(60)
        return original(x)

    encoder.forward = gated
    try:
        w.service.request_embedding(image_folder / "c.png")  # holds the model thread
        qtbot.waitUntil(entered.is_set, timeout=WAIT_MS)
        result = click(qtbot, w, 80, 120)  # answered while the encoder is still blocked
        assert result.mask.any() or result.score is not None
        assert not release.is_set()
    finally:
        release.set()
        encoder.forward = original
    w.close()
