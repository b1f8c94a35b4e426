"""SamService: the app's single door to SAM (load, embed, decode) on one model thread.

Encoding and other model work run on a QThreadPool with one thread; the image on screen is
queued ahead of folder embedding, which queues one image at a time. Decodes of the image on
screen run on a second one-thread pool: the engine decodes while it encodes (separate locks),
so a click never waits for a background encode.
Every decode carries a request id and the prompts it was made for, so late results can be
recognised as stale by the caller.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal

from sambox.model.decoding import DecodeRequest, DecodeResult, EngineConfig
from sambox.services.errors import describe_error
from sambox.services.workers import JobContext, Worker

PRIORITY_DECODE = 30
PRIORITY_CURRENT = 20
PRIORITY_LOAD = 10
PRIORITY_BACKGROUND = 0


class SamService(QObject):
    engine_loading = Signal(str)  # checkpoint path
    engine_ready = Signal(str)  # model id
    engine_failed = Signal(str)  # plain-words message
    embedding_ready = Signal(str, bool)  # image path, was cached
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
        self._engine: Any = None
        self._pinned: tuple[Path, Any] | None = None  # embedding of the image on screen
        self._running: set[Worker] = set()
        self._next_id = 0
        self._queue: deque[Path] = deque()
        self._folder_total = 0
        self._folder_done = 0
        self._folder_job: Worker | None = None
        self._embedded: set[Path] = set()

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
    def engine(self) -> Any:
        """The loaded SamEngine (thread-safe) for other services, e.g. SAMIC; None until ready."""
        return self._engine

    def load_engine(self, config: EngineConfig) -> None:
        """Build the engine in the model thread; engine_ready or engine_failed follows."""
        self.cancel_folder()
        self._engine = None
        self._pinned = None
        self._embedded.clear()
        self.engine_loading.emit(str(config.checkpoint))

        def job(ctx: JobContext) -> Any:
            from samic_core.sam.cache import EmbeddingCache
            from samic_core.sam.engine import SamEngine

            gb = config.cache_max_gb
            max_bytes = None if gb is None else int(gb * (1 << 30))
            cache = EmbeddingCache(config.cache_dir, dtype=config.cache_dtype, max_bytes=max_bytes)
            return SamEngine(config.checkpoint, config.model_type, config.device, cache)

        def done(engine: Any) -> None:
            self._engine = engine
            self.engine_ready.emit(engine.model_id)

        def failed(e: BaseException) -> None:
            self.engine_failed.emit(describe_error(e, "loading the SAM model"))

        self._start(Worker(job, "load engine"), PRIORITY_LOAD, done, failed)

    def shutdown(self, timeout_ms: int = 10_000) -> None:
        """Stop background work and wait for the job in progress (called on close)."""
        self.cancel_folder()
        self.pool.clear()
        self.pool.waitForDone(timeout_ms)
        self.decode_pool.waitForDone(timeout_ms)

    # ---- embeddings --------------------------------------------------------------------------
    def request_embedding(self, path: Path) -> None:
        """Embed the image on screen ahead of everything else (a cache hit is quick)."""
        path = Path(path)
        if self._engine is None:
            return
        engine = self._engine

        def job(ctx: JobContext) -> tuple[Any, bool]:
            return engine.embed_file(path)

        def done(out: tuple[Any, bool]) -> None:
            emb, cached = out
            if engine is not self._engine:
                return
            self._pinned = (path, emb)
            self._mark_embedded(path)
            self.embedding_ready.emit(str(path), cached)

        def failed(e: BaseException) -> None:
            self.embedding_failed.emit(str(path), describe_error(e, f"embedding {path.name}"))

        self._start(Worker(job, f"embed {path.name}"), PRIORITY_CURRENT, done, failed)

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
        if not self._queue:
            self._folder_job = None
            self.folder_finished.emit(self._folder_done, self._folder_total)
            return
        path = self._queue.popleft()
        engine = self._engine

        def job(ctx: JobContext) -> bool:
            ctx.check()
            if engine.is_cached(path):
                return True
            engine.embed_file(path)
            return False

        def step(_: object = None) -> None:
            if worker is not self._folder_job:
                return  # cancelled meanwhile
            self._folder_done += 1
            self._mark_embedded(path)
            self.folder_progress.emit(self._folder_done, self._folder_total, path.name)
            self._next_background()

        def failed(e: BaseException) -> None:
            self.embedding_failed.emit(str(path), describe_error(e, f"embedding {path.name}"))
            step()

        worker = Worker(job, f"background embed {path.name}")
        self._folder_job = worker
        self._start(worker, PRIORITY_BACKGROUND, step, failed)

    def _mark_embedded(self, path: Path) -> None:
        self._embedded.add(Path(path))

    # ---- decoding ----------------------------------------------------------------------------
    def new_request_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def request_decode(self, request: DecodeRequest) -> None:
        """Decode in the model thread; decode_ready(DecodeResult) or decode_failed follows."""
        if self._engine is None:
            self.decode_failed.emit(request, "no SAM model is loaded")
            return
        engine = self._engine
        pinned = self._pinned
        emb_in = pinned[1] if pinned is not None and pinned[0] == request.image_path else None

        def job(ctx: JobContext) -> DecodeResult:
            from samic_core.sam.types import Prompt

            t0 = time.perf_counter()
            emb = emb_in if emb_in is not None else engine.embed_file(request.image_path)[0]
            key = request.key
            prompt = Prompt.from_points(
                [(x, y) for x, y, _ in key.points],
                [1 if p else 0 for _, _, p in key.points],
                box=key.box,
                mask_input=request.mask_input,
            )
            multimask = False if request.mask_input is not None else None
            r = engine.decode(emb, prompt, multimask=multimask, candidate=key.candidate)
            return DecodeResult(
                request,
                r.mask,
                r.score,
                r.low_res_logits,
                r.candidate,
                tuple(float(s) for s in r.candidate_scores),
                time.perf_counter() - t0,
            )

        def failed(e: BaseException) -> None:
            self.decode_failed.emit(request, describe_error(e, f"decoding {request.image_path}"))

        self._start(
            Worker(job, f"decode #{request.request_id}"),
            PRIORITY_DECODE,
            self.decode_ready.emit,
            failed,
            # an embedding in memory needs no encoder: decode beside any encode in progress
            pool=self.decode_pool if emb_in is not None else self.pool,
        )

    # ---- plumbing ----------------------------------------------------------------------------
    def start_job(
        self,
        worker: Worker,
        on_result: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        priority: int = PRIORITY_LOAD,
    ) -> None:
        """Run any other model-thread job (for later features such as training)."""
        self._start(worker, priority, on_result, on_error)

    def _start(
        self,
        worker: Worker,
        priority: int,
        on_result: Callable[[Any], None] | None,
        on_error: Callable[[BaseException], None] | None,
        pool: QThreadPool | None = None,
    ) -> None:
        if on_result is not None:
            worker.signals.result.connect(on_result)
        if on_error is not None:
            worker.signals.error.connect(on_error)
        self._running.add(worker)
        worker.signals.finished.connect(lambda: self._running.discard(worker))
        (pool or self.pool).start(worker, priority)
