"""Click-to-overlay latency in the app next to the engine's bare decode time.

Measures from just before the mouse event is delivered to the canvas until the canvas has
replaced the mask pixmap (Canvas.overlay_updated), through the real path: canvas signal ->
editor -> SamService worker -> engine.decode -> result signal -> overlay render. Runs offscreen
on the tiny random SAM (and, with --vit-b, a full-size vit_b with random weights).

    python scripts/bench_app.py [--clicks 40] [--size 1024x768] [--vit-b] [--device cpu]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from PySide6.QtCore import QPointF, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from samic_core.testing import (  # noqa: E402
    make_blob_image,
    make_random_sam_checkpoint,
    make_tiny_sam_checkpoint,
)


def spin(app: QApplication, cond, timeout: float = 600.0) -> bool:
    t0 = time.monotonic()
    while not cond() and time.monotonic() - t0 < timeout:
        app.processEvents()
        time.sleep(0.0005)
    return cond()


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def bench(app: QApplication, checkpoint: Path, folder: Path, clicks: int, device: str) -> dict:
    from sambox.app import build_window
    from sambox.settings import AppSettings
    from samic_core.sam.types import Prompt

    settings = AppSettings.from_file(folder.parent / f"{checkpoint.stem}.ini")
    settings.checkpoint, settings.device = checkpoint, device
    win = build_window(settings)
    win.resize(1440, 900)
    win.show()
    win.session.start_engine()
    spin(app, lambda: win.service.ready)
    win.session.open_folder(folder)
    image = win.project.images[0]
    spin(app, lambda: win.service.is_embedded(image))
    h, w = win.canvas.image_size
    rng = np.random.default_rng(0)
    stamps: list[float] = []
    win.canvas.overlay_updated.connect(lambda: stamps.append(time.perf_counter()))
    app_ms, prompts = [], []
    for i in range(clicks + 3):
        if i % 4 == 0 and win.editor.current is not None:
            win.editor.clear_object()
            app.processEvents()
        x, y = float(rng.uniform(0.3, 0.7) * w), float(rng.uniform(0.3, 0.7) * h)
        pos = win.canvas.mapFromScene(QPointF(x, y))
        button = Qt.MouseButton.LeftButton if i % 4 != 3 else Qt.MouseButton.RightButton
        stamps.clear()
        t0 = time.perf_counter()
        QTest.mouseClick(win.canvas.viewport(), button, Qt.KeyboardModifier.NoModifier, pos)
        spin(app, lambda: bool(stamps) and not win.editor.pending_count)
        if i >= 3:  # warm-up clicks excluded
            app_ms.append(1000 * (stamps[-1] - t0))
            prompts.append(win.editor.current.key)
    engine = win.service._engine
    emb, _ = engine.embed_file(image)
    bare_ms = []
    for key in prompts:
        p = Prompt.from_points([(x, y) for x, y, _ in key.points], [int(s) for *_, s in key.points])
        t0 = time.perf_counter()
        engine.decode(emb, p)
        bare_ms.append(1000 * (time.perf_counter() - t0))
    out = {
        "model": engine.model_type,
        "device": str(engine.device),
        "image": f"{w}x{h}",
        "app_median": statistics.median(app_ms),
        "app_p95": pct(app_ms, 95),
        "decode_median": statistics.median(bare_ms),
        "decode_p95": pct(bare_ms, 95),
        "n": len(app_ms),
    }
    win.close()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clicks", type=int, default=40)
    ap.add_argument("--size", default="1024x768", help="WxH of the test image")
    ap.add_argument("--vit-b", action="store_true", help="also a full-size vit_b (random)")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args(argv)
    w, h = (int(v) for v in args.size.split("x"))
    app = QApplication.instance() or QApplication(sys.argv[:1])
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        os.environ["SAMIC_HOME"] = str(tmp_path / "home")
        folder = tmp_path / "images"
        folder.mkdir()
        img = make_blob_image(h, w, [(w // 2, h // 2, min(w, h) // 4)], 0)
        cv2.imwrite(str(folder / "bench.png"), img[:, :, ::-1])
        ckpts = [make_tiny_sam_checkpoint(tmp_path / "tiny_sam.pth")]
        if args.vit_b:
            ckpts.append(make_random_sam_checkpoint(tmp_path / "vit_b_random.pth", "vit_b"))
        for ckpt in ckpts:
            rows.append(bench(app, ckpt, folder, args.clicks, args.device))
    print(
        f"{'model':8} {'device':6} {'image':10} {'n':>3}  app click->overlay ms  "
        f"bare engine.decode ms"
    )
    for r in rows:
        print(
            f"{r['model']:8} {r['device']:6} {r['image']:10} {r['n']:>3}  "
            f"median {r['app_median']:6.1f} p95 {r['app_p95']:6.1f}   "
            f"median {r['decode_median']:6.1f} p95 {r['decode_p95']:6.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
