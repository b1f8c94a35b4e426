"""SamService: the app's single door to SAM (load, embed, decode).

The image on screen never waits for another image's work:
- its cached embedding is read on a pool of its own (`read_pool`), outside the encoder's queue;
- when it must be encoded, the background encode in progress is aborted at its next transformer
  block and put back at the front of the folder queue, the on-screen encode runs first on the
  encoder pool (`pool`, one thread), and its progress is reported (embedding_progress);
- its clicks are decoded on a third pool (`decode_pool`) beside any encode (the engine decodes
  and encodes under separate locks); a click that comes before the embedding waits for it, not
  for the encoder queue;
- zoomed in on a big image, a click is decoded in a 1024 px tile of it (encoded on first use,
  ahead of the background, and cached by tile), so small objects get full-resolution masks.
Folder embedding queues one image at a time, so the on-screen image can always get in front;
each queued image is the core's unit of folder embedding (samic_core.embed.embed_one, as in
`samic embed`), so a corrupt cache entry is encoded again in the background too.
Every decode carries a request id and the prompts it was made for, so late results can be
recognised as stale by the caller.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QThreadPool, Signal

from sambox.model.decoding import DecodeRequest, DecodeResult, EngineConfig
from sambox.services import sam_jobs
from sambox.services.errors import describe_error
from sambox.services.workers import JobContext, JobRunner, Worker
from samic_core.tiles import TileGrid
from samic_core.tiles.spec import zoom_grid

if TYPE_CHECKING:  # torch behind these: the engine is built on the model thread (sam_jobs)
    from samic_core.sam.click_engine import ClickEngine
    from samic_core.sam.types import ImageEmbedding

PRIORITY_DECODE = 30
PRIORITY_CURRENT = 20
PRIORITY_LOAD = 10
PRIORITY_BACKGROUND = 0


class SamService(QObject):
    engine_loading = Signal(str)  # checkpoint path
    engine_loading_step = Signal(str)  # what the load is doing now, in plain words
    engine_ready = Signal(str)  # model id
    engine_failed = Signal(str)  # plain-words message
    embedding_ready = Signal(str, bool)  # image path, was cached
    embedding_progress = Signal(str, int, int)  # image path, blocks done, blocks (encoding it)
    embedding_failed = Signal(str, str)  # image path, message
    decode_ready = Signal(object)  # DecodeResult
    decode_failed = Signal(object, str)  # DecodeRequest, message
    folder_progress = Signal(int, int, str)  # done, total, image name
    folder_finished = Signal(int, int)  # done, total (also after cancel)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)  # one model, one thread: calls are serialised
        self.decode_pool = QThreadPool(self)
        self.decode_pool.setMaxThreadCount(1)  # clicks, in order, beside the encoder
        self.read_pool = QThreadPool(self)
        self.read_pool.setMaxThreadCount(1)  # cache reads of the image on screen
        self._engine: ClickEngine | None = None
        self._pinned: tuple[Path, ImageEmbedding] | None = None  # the on-screen image's
        self._screen: Path | None = None  # the image on screen (its embedding comes first)
        self._fetching: set[Path] = set()  # embeddings being read or encoded for decodes
        self._waiting: dict[Path, list[DecodeRequest]] = {}  # decodes waiting for them
        self._first_jobs: dict[Path, Worker] = {}  # encodes of images that must come first
        self._jobs = JobRunner(self)
        self._next_id = 0
        self._queue: deque[Path] = deque()
        self._folder_total = 0
        self._folder_done = 0
        self._folder_job: Worker | None = None
        self._folder_path: Path | None = None
        self._embedded: set[Path] = set()
        self._pixels: tuple[Path, np.ndarray] | None = None  # the on-screen image's, for tiles

    # ---- engine ------------------------------------------------------------------------------
    @property
    def ready(self) -> bool:
        return self._engine is not None

    @property
    def model_id(self) -> str | None:
        return None if self._engine is None else self._engine.model_id

    @property
    def device(self) -> str | None:
        return None if self._engine is None else str(self._engine.device)

    @property
    def engine(self) -> ClickEngine | None:
        """The loaded ClickEngine (thread-safe) for other services, e.g. SAMIC; None until ready."""
        return self._engine

    def load_engine(self, config: EngineConfig) -> None:
        """Build the engine in the model thread; engine_ready or engine_failed follows."""
        self.cancel_folder()
        self._engine = None
        self._pinned = None
        self._fetching.clear()
        self._first_jobs.clear()
        self._waiting.clear()  # the editor re-requests everything once the engine is ready
        self._embedded.clear()
        self.engine_loading.emit(str(config.checkpoint))

        def job(ctx: JobContext) -> ClickEngine:
            return sam_jobs.build_engine(config, ctx.progress)

        def done(engine: ClickEngine) -> None:
            self._engine = engine
            self.engine_ready.emit(engine.model_id)

        def failed(e: BaseException) -> None:
            self.engine_failed.emit(describe_error(e, "loading the SAM model"))

        worker = Worker(job, "load engine")
        worker.signals.progress.connect(self._jobs.alive(self.engine_loading_step.emit))
        self._jobs.start(worker, self.pool, done, failed, PRIORITY_LOAD)

    @property
    def busy_text(self) -> None:
        return None  # embeddings are a cache: closing may stop them without asking

    def shutdown(self, timeout_ms: int = 10_000) -> None:
        """Stop background work and wait for the job in progress (called on close)."""
        self.cancel_folder()
        self.pool.clear()
        self.pool.waitForDone(timeout_ms)
        self.read_pool.waitForDone(timeout_ms)
        self.decode_pool.waitForDone(timeout_ms)

    # ---- embeddings --------------------------------------------------------------------------
    def request_embedding(self, path: Path) -> None:
        """Make `path` the image on screen and fetch its embedding ahead of everything else."""
        path = Path(path)
        engine = self._engine
        if engine is None:
            return
        self._screen = path
        if self._pinned is not None and self._pinned[0] != path:
            self._pinned = None
        for other, worker in list(self._first_jobs.items()):
            if other != path and not self._waiting.get(other):
                worker.cancel()  # the user left that image: the background will embed it
        self._fetch(path, engine)

    def _wanted(self, path: Path) -> bool:
        """Whether `path`'s embedding is still needed first (on screen, or decodes wait)."""
        return path == self._screen or bool(self._waiting.get(path))

    @property
    def screen_image(self) -> Path | None:
        return self._screen

    def _fetch(self, path: Path, engine: ClickEngine) -> None:
        """Read `path`'s embedding from the cache (own pool), else encode it with priority."""
        if path in self._fetching:
            return
        self._fetching.add(path)

        def job(ctx: JobContext) -> ImageEmbedding | None:
            return engine.cached_embedding(path)

        def done(emb: ImageEmbedding | None) -> None:
            if engine is not self._engine:
                return
            if emb is None and not self._wanted(path):
                self._fetching.discard(path)  # the user moved on before the read finished
            elif emb is None:
                self._encode_first(path, engine)
            else:
                self._embedding_done(path, emb, True)

        worker = Worker(job, f"read {path.name}")
        failed = self._embedding_failed
        self._jobs.start(
            worker, self.read_pool, done, lambda e: failed(path, engine, e), PRIORITY_CURRENT
        )

    def _encode_first(self, path: Path, engine: ClickEngine) -> None:
        """Encode `path` before any background image, pausing the one being encoded."""
        self.embedding_progress.emit(str(path), 0, 0)
        self._preempt_background(path)

        def job(ctx: JobContext) -> tuple[ImageEmbedding, bool]:
            return engine.embed_file(
                path, progress=lambda done, total, _: ctx.progress((done, total))
            )

        def done(out: tuple[ImageEmbedding, bool]) -> None:
            self._first_jobs.pop(path, None)
            if engine is self._engine:
                self._embedding_done(path, out[0], out[1])

        def dropped() -> None:
            self._first_jobs.pop(path, None)
            self._fetching.discard(path)
            if engine is self._engine:
                self._embedding_failed(
                    path, engine, RuntimeError("embedding cancelled"), quiet=True
                )

        worker = Worker(job, f"embed {path.name}")
        self._first_jobs[path] = worker
        worker.signals.cancelled.connect(self._jobs.alive(dropped))
        emit = self.embedding_progress.emit
        worker.signals.progress.connect(self._jobs.alive(lambda v: emit(str(path), *map(int, v))))

        def failed(e: BaseException) -> None:
            self._first_jobs.pop(path, None)
            self._embedding_failed(path, engine, e)

        self._jobs.start(worker, self.pool, done, failed, PRIORITY_CURRENT)

    def _embedding_done(self, path: Path, emb: ImageEmbedding, cached: bool) -> None:
        self._fetching.discard(path)
        if path == self._screen:
            self._pinned = (path, emb)
        self._embedded.add(path)
        self.embedding_ready.emit(str(path), cached)
        for request in self._waiting.pop(path, []):
            self._start_decode(request, emb)

    def _embedding_failed(
        self, path: Path, engine: ClickEngine, e: BaseException, quiet: bool = False
    ) -> None:
        """quiet: the encode was dropped because nobody needs it first any more (no error)."""
        if engine is not self._engine:
            return
        self._fetching.discard(path)
        message = describe_error(e, f"embedding {path.name}")
        if not quiet:
            self.embedding_failed.emit(str(path), message)
        for request in self._waiting.pop(path, []):
            self.decode_failed.emit(request, message)

    def is_embedded(self, path: Path) -> bool:
        return Path(path) in self._embedded

    def embed_folder(self, paths: Iterable[Path], first: Path | None = None) -> None:
        """Make sure every image has a cached embedding, `first` first, one job at a time."""
        self.cancel_folder()
        if self._engine is None:
            return
        order = [Path(p) for p in paths]
        if first is not None and Path(first) in order:
            order.remove(Path(first))
            order.insert(0, Path(first))
        self._queue = deque(order)
        self._folder_total = len(order)
        self._folder_done = 0
        self._next_background()

    def prioritize(self, path: Path) -> None:
        """Move `path` to the front of the folder queue (the user just opened it)."""
        path = Path(path)
        if path in self._queue:
            self._queue.remove(path)
            self._queue.appendleft(path)

    def cancel_folder(self) -> None:
        if self._folder_job is not None:
            self._folder_job.cancel()
        had = bool(self._queue) or self._folder_job is not None
        self._queue.clear()
        self._folder_job = None
        if had:
            self.folder_finished.emit(self._folder_done, self._folder_total)

    @property
    def folder_busy(self) -> bool:
        return self._folder_job is not None

    def _next_background(self) -> None:
        engine = self._engine
        if not self._queue or engine is None:  # done (a new engine cancels the queue first)
            self._folder_job = None
            self.folder_finished.emit(self._folder_done, self._folder_total)
            return
        path = self._queue.popleft()

        def job(ctx: JobContext) -> bool:
            ctx.check()
            return sam_jobs.embed_queued(
                engine, path, lambda done, total, _name: ctx.progress((done, total))
            )

        def step(_: object = None) -> None:
            if worker is not self._folder_job:
                return  # cancelled meanwhile
            self._folder_done += 1
            self._embedded.add(path)
            self.folder_progress.emit(self._folder_done, self._folder_total, path.name)
            self._next_background()

        def failed(e: BaseException) -> None:
            self.embedding_failed.emit(str(path), describe_error(e, f"embedding {path.name}"))
            step()

        def paused() -> None:
            if worker is not self._folder_job:
                return  # stopped by the user, or the engine changed
            self._queue.appendleft(path)  # resumes after the image on screen
            self._next_background()

        def progress(value: tuple[int, int]) -> None:
            if path == self._screen:  # the user opened the image the background is encoding
                self.embedding_progress.emit(str(path), int(value[0]), int(value[1]))

        worker = Worker(job, f"background embed {path.name}")
        worker.signals.cancelled.connect(self._jobs.alive(paused))
        worker.signals.progress.connect(self._jobs.alive(progress))
        self._folder_job = worker
        self._folder_path = path
        self._jobs.start(worker, self.pool, step, failed, PRIORITY_BACKGROUND)

    def _preempt_background(self, screen: Path) -> None:
        """Abort the background encode in progress (it is queued again) unless it is `screen`."""
        job = self._folder_job
        if job is not None and self._folder_path != screen:
            job.cancel()

    # ---- decoding ----------------------------------------------------------------------------
    def new_request_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def show_image(self, path: Path, rgb: np.ndarray) -> None:
        """The pixels of the image on screen: zoomed-in clicks on a big image are decoded in
        its tiles (only this image's are kept, by reference)."""
        self._pixels = (Path(path), rgb)

    def request_decode(self, request: DecodeRequest) -> None:
        """Decode beside the encoder; decode_ready(DecodeResult) or decode_failed follows.

        Without the image's embedding in memory, the decode waits for that embedding (read
        from the cache or encoded first), never for the encoder's queue. Zoomed in on a big
        image (request.view), it is decoded in a tile instead (`_start_tiled`).
        """
        engine = self._engine
        if engine is None:
            self.decode_failed.emit(request, "no SAM model is loaded")
            return
        path = Path(request.image_path)
        pixels = self._pixels[1] if self._pixels is not None and self._pixels[0] == path else None
        if request.view is not None and pixels is not None:
            y0, x0, y1, x1 = request.view
            grid = zoom_grid(pixels.shape[:2], (y1 - y0, x1 - x0))
            points = np.array([(x, y) for x, y, _ in request.key.points], np.float64)
            if grid is not None and grid.fits(points, request.key.box):  # else: whole image
                self._start_tiled(request, engine, pixels, grid)
                return
        pinned = self._pinned
        if pinned is not None and pinned[0] == path:
            self._start_decode(request, pinned[1])
            return
        self._waiting.setdefault(path, []).append(request)
        self._fetch(path, engine)

    def _start_decode(self, request: DecodeRequest, emb: ImageEmbedding) -> None:
        engine = self._engine
        if engine is None:  # unloaded while the embedding was read
            self.decode_failed.emit(request, "no SAM model is loaded")
            return

        name = f"decode #{request.request_id}"
        self._decode_job(request, name, lambda _: sam_jobs.decode(engine, request, emb))

    def _start_tiled(
        self, request: DecodeRequest, engine: ClickEngine, pixels: np.ndarray, grid: TileGrid
    ) -> None:
        """Decode in a tile (encoded first when the cache lacks it: the background encode in
        progress is paused for it, as for the image on screen)."""
        self._preempt_background(Path(request.image_path))

        def job(_: JobContext) -> DecodeResult:
            return sam_jobs.decode_tiled(engine, request, pixels, grid)

        self._decode_job(request, f"tile decode #{request.request_id}", job)

    def _decode_job(
        self, request: DecodeRequest, name: str, job: Callable[[JobContext], DecodeResult]
    ) -> None:
        """Run one decode on the decode pool: decode_ready, or decode_failed with the reason."""

        def failed(e: BaseException) -> None:
            self.decode_failed.emit(request, describe_error(e, f"decoding {request.image_path}"))

        worker = Worker(job, name)
        self._jobs.start(worker, self.decode_pool, self.decode_ready.emit, failed, PRIORITY_DECODE)
