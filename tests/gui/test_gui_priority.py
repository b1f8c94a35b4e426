"""The image on screen never waits for another image's work (issue 12, blocker 2).

A gate in the tiny SAM's image encoder holds a background encode for as long as a test wants,
as a 30 s ViT-H encode on a busy CPU would.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

from gui_helpers import WAIT_MS, click, make_window, start_engine

from sambox.model.decoding import EngineConfig
from sambox.services.sam_service import SamService


class EncoderGate:
    """Blocks the first encode that reaches transformer block `block` until `release()`."""

    def __init__(self, engine, block: int = 0) -> None:
        self.entered, self._release = threading.Event(), threading.Event()
        self.module = engine.sam.image_encoder.blocks[block]
        self._original = self.module.forward
        armed = [True]

        def gated(*args, **kwargs):
            if armed[0]:
                armed[0] = False
                self.entered.set()
                assert self._release.wait(60)
            return self._original(*args, **kwargs)

        self.module.forward = gated

    def release(self) -> None:
        self._release.set()

    @property
    def released(self) -> bool:
        return self._release.is_set()

    def restore(self) -> None:
        self._release.set()
        self.module.forward = self._original


def test_a_click_on_a_cached_image_is_served_while_the_encoder_is_blocked(
    qtbot, settings, image_folder
):
    w = make_window(qtbot, settings)
    start_engine(qtbot, w)
    with qtbot.waitSignal(w.service.folder_finished, timeout=WAIT_MS):
        w.session.open_folder(image_folder)  # a, b and c end up in the disk cache
    shutil.copy(image_folder / "c.png", image_folder / "d_new.png")
    (image_folder / "d_new.png").write_bytes((image_folder / "c.png").read_bytes() + b"\0")
    gate = EncoderGate(w.service.engine)
    try:
        w.session.open_folder(image_folder)  # background: a, b, c cached; d_new is encoded
        qtbot.waitUntil(gate.entered.is_set, timeout=WAIT_MS)  # the encoder is now stuck
        with qtbot.waitSignal(w.service.embedding_ready, timeout=WAIT_MS) as ready:
            w.session.open_image("b.png")
        assert ready.args == [str(image_folder / "b.png"), True]  # read from the cache
        result = click(qtbot, w, 160, 100)  # answered while the encoder is still blocked
        assert result.request.image_path == image_folder / "b.png"
        assert not gate.released
    finally:
        gate.restore()
    w.close()


def test_the_image_on_screen_is_encoded_before_the_background_one_in_progress(
    qtbot, settings, image_folder
):
    """The background encode is paused (aborted, queued again); the screen image goes first."""
    service = SamService()
    with qtbot.waitSignal(service.engine_ready, timeout=WAIT_MS):
        service.load_engine(EngineConfig(settings.checkpoint, device="cpu", cache_dir=None))
    service.engine.cache = None  # nothing cached: every image must be encoded
    events: list[tuple[str, str]] = []
    progress: list[tuple[int, int]] = []
    service.embedding_ready.connect(lambda p, _c: events.append(("ready", Path(p).name)))
    service.folder_progress.connect(lambda _d, _t, name: events.append(("background", name)))
    service.embedding_progress.connect(lambda _p, d, t: progress.append((d, t)))
    gate = EncoderGate(service.engine, block=0)
    try:
        names = ["a.png", "b.png", "c.png"]
        service.embed_folder([image_folder / n for n in names])
        qtbot.waitUntil(gate.entered.is_set, timeout=WAIT_MS)  # a.png is being encoded
        service.request_embedding(image_folder / "c.png")  # the user opens c.png
        qtbot.waitUntil(lambda: progress == [(0, 0)], timeout=WAIT_MS)  # "encoding c.png"
        with qtbot.waitSignal(service.folder_finished, timeout=WAIT_MS):
            gate.release()
    finally:
        gate.restore()
        service.shutdown()
    assert events[0] == ("ready", "c.png")  # before a.png, whose encode was interrupted
    assert [n for kind, n in events if kind == "background"] == names
    blocks = len(service.engine.sam.image_encoder.blocks)
    assert progress[-1] == (blocks, blocks)


def test_encoding_the_image_on_screen_is_shown_with_progress(qtbot, settings, image_folder):
    w = make_window(qtbot, settings)
    start_engine(qtbot, w)
    gate = EncoderGate(w.service.engine, block=1)
    try:
        w.session.open_folder(image_folder)
        qtbot.waitUntil(gate.entered.is_set, timeout=WAIT_MS)
        bar = w.sam_status.encode_progress
        qtbot.waitUntil(lambda: bar.isVisible() and bar.value() == 1, timeout=WAIT_MS)
        assert bar.maximum() == 2  # one of the tiny encoder's 2 blocks done
        assert "Encoding a.png" in w.status_text.text()
        gate.release()
        qtbot.waitUntil(lambda: not bar.isVisible(), timeout=WAIT_MS)
        assert "a.png is ready" in w.status_text.text()
    finally:
        gate.restore()
    w.close()


def test_leaving_an_image_drops_its_encode_for_the_next_one(qtbot, settings, image_folder):
    service = SamService()
    with qtbot.waitSignal(service.engine_ready, timeout=WAIT_MS):
        service.load_engine(EngineConfig(settings.checkpoint, device="cpu", cache_dir=None))
    service.engine.cache = None
    ready: list[str] = []
    service.embedding_ready.connect(lambda p, _c: ready.append(Path(p).name))
    gate = EncoderGate(service.engine, block=0)
    try:
        service.request_embedding(image_folder / "a.png")
        qtbot.waitUntil(gate.entered.is_set, timeout=WAIT_MS)  # a.png is being encoded
        service.request_embedding(image_folder / "b.png")  # the user moves on at once
        with qtbot.waitSignal(service.embedding_ready, timeout=WAIT_MS):
            gate.release()
    finally:
        gate.restore()
        service.shutdown()
    assert ready == ["b.png"]  # a.png's encode was stopped, not finished first
    assert not service.is_embedded(image_folder / "a.png")


def test_background_embedding_encodes_a_corrupt_cache_entry_again(qtbot, settings, image_folder):
    """The background queue runs the core's unit of folder embedding (samic_core.embed.embed_one):
    an entry that exists but does not read back valid is encoded again, not counted as done."""
    service = SamService()
    with qtbot.waitSignal(service.engine_ready, timeout=WAIT_MS):
        service.load_engine(
            EngineConfig(settings.checkpoint, device="cpu", cache_dir=settings.cache_dir)
        )
    engine = service.engine
    paths = [image_folder / n for n in ("a.png", "b.png")]
    try:
        with qtbot.waitSignal(service.folder_finished, timeout=WAIT_MS):
            service.embed_folder(paths)
        entry = engine.cache.path_for(engine.image_sha256(paths[1]), engine.model_id)
        entry.write_bytes(entry.read_bytes()[:5000])  # truncated: a corrupt entry
        engine.cache.clear_memory()
        with qtbot.waitSignal(service.folder_finished, timeout=WAIT_MS):
            service.embed_folder(paths)
        assert engine.cached_embedding(paths[1]) is not None  # rewritten in the background
    finally:
        service.shutdown()
