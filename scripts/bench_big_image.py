"""A big image in the app: memory to open it, and a zoomed-in click decoded in a tile.

In a fresh offscreen process: open a folder holding one generated aerial stand-in JPEG
(samic_core.testing.big_images, default 8000 x 6000 = 48 MP), wait for its whole-image
embedding, then zoom in on a target and click it twice (the first click encodes its 1024 px
tile, the second reads it from the cache). Reports resident memory (now and peak) after each
step and the click times. The tiny random SAM by default; --vit-b for a full-size vit_b with
random weights (what a real checkpoint costs).

    .venv/bin/python scripts/bench_big_image.py --size 8000x6000
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtCore import QPointF, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from samic_core.testing import make_random_sam_checkpoint, make_tiny_sam_checkpoint  # noqa: E402
from samic_core.testing.big_images import BigSpec  # noqa: E402


def rss_mb() -> tuple[float, float]:
    """(resident now, peak) in MB."""
    with open("/proc/self/statm") as f:
        now = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    return now, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def anon_mb() -> float:
    """This process's own memory (RssAnon): resident minus the pages of mapped files, such as
    torch's CUDA libraries (~440 MB that other processes share) and a big image's memory map."""
    with open("/proc/self/status") as f:
        line = next(x for x in f if x.startswith("RssAnon:"))
    return int(line.split()[1]) / 1024


def report(what: str) -> None:
    now, peak = rss_mb()
    print(f"{what}: {now:.0f} MB resident, {anon_mb():.0f} MB of it anonymous (peak {peak:.0f} MB)",
          flush=True)  # fmt: skip


def wait(app: QApplication, done, timeout: float = 600.0) -> float:
    t0 = time.perf_counter()
    while not done():
        app.processEvents()
        time.sleep(0.005)
        if time.perf_counter() - t0 > timeout:
            raise SystemExit("timed out")
    return time.perf_counter() - t0


def click(app: QApplication, window, xy: np.ndarray) -> tuple[float, object]:
    """Left-click image pixel `xy`; (seconds until its mask landed, the DecodeResult)."""
    results: list = []
    window.editor.decoded.connect(results.append)
    pos = window.canvas.mapFromScene(QPointF(float(xy[0]), float(xy[1])))
    QTest.mouseClick(
        window.canvas.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos
    )
    took = wait(app, lambda: bool(results))
    window.editor.decoded.disconnect(results.append)
    app.processEvents()  # the overlay drawn
    return took, results[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", default="8000x6000", help="WxH")
    ap.add_argument("--vit-b", action="store_true")
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    scale = w * h / (4000 * 3000)
    spec = BigSpec(height=h, width=w, targets=int(120 * scale), lookalikes=int(150 * scale),
                   clutter=int(400 * scale))  # fmt: skip
    work = Path(tempfile.mkdtemp(prefix="bench_big_"))
    os.environ["SAMIC_HOME"] = str(work / "home")
    folder = work / "aerial"
    folder.mkdir()
    # written by a child process, so this one's peak memory is the app's alone
    code = (
        "import sys, cv2, numpy as np\n"
        "from samic_core.testing.big_images import BigSpec, make_big_image\n"
        f"spec = BigSpec(*{(h, w)}, targets={spec.targets}, lookalikes={spec.lookalikes}, "
        f"clutter={spec.clutter})\n"
        "im = make_big_image(spec, 0, 0)\n"
        "cv2.imwrite(sys.argv[1], cv2.cvtColor(im.rgb, cv2.COLOR_RGB2BGR))\n"
        "np.save(sys.argv[2], im.clicks)\n"
    )
    out = [str(folder / "aerial.jpg"), str(work / "clicks.npy")]
    subprocess.run([sys.executable, "-c", code, *out], check=True)
    clicks = np.load(work / "clicks.npy")
    target = clicks[int(np.argmin(np.hypot(*(clicks - (w / 2, h / 2)).T)))]
    ckpt = work / "sam.pth"
    if args.vit_b:
        make_random_sam_checkpoint(ckpt, "vit_b", seed=0)
    else:
        make_tiny_sam_checkpoint(ckpt, seed=0)

    from sambox.app import build_window
    from sambox.settings import AppSettings

    app = QApplication.instance() or QApplication(sys.argv)
    settings = AppSettings.from_file(work / "sambox.ini")
    settings.checkpoint, settings.device, settings.cache_dir = ckpt, "cpu", work / "emb"
    window = build_window(settings)
    window.resize(1400, 900)
    window.show()
    print(
        f"{w} x {h} ({w * h / 1e6:.0f} MP) JPEG, {'vit_b (random)' if args.vit_b else 'tiny SAM'}"
    )
    report("window shown")
    window.session.start_engine()
    wait(app, lambda: window.service.ready)
    t = time.perf_counter()
    window.session.open_folder(folder)
    first = folder / "aerial.jpg"
    wait(app, lambda: window.service.is_embedded(first))
    report(f"opened and embedded whole in {time.perf_counter() - t:.1f} s")
    canvas = window.canvas
    canvas.zoom_by(8 / canvas.zoom if canvas.zoom < 1 else 1.0)  # 1:1 and closer
    canvas.centerOn(float(target[0]), float(target[1]))
    for n in (1, 2):
        took, result = click(app, window, target)
        report(f"zoomed-in click {n}: {took:.2f} s in tile {result.tile}")
        QTest.keyClick(window, Qt.Key.Key_N)  # the next click starts a new object
    canvas.fit()  # zoomed out: a click decoded on the whole image's embedding
    took, _ = click(app, window, target)
    report(f"zoomed-out click: {took:.2f} s")
    t = time.perf_counter()
    saved = window.session.flush()
    report(f"saved ({saved}) in {time.perf_counter() - t:.1f} s")
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
