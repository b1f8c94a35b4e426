"""Start the real app as `sambox` does, in this fresh interpreter, and report how it came up.

Run by test_restart.py as `python app_harness.py --settings INI FOLDER`: the same start-up as
the `sambox` command (sambox.__main__.launch), then, once SAM is ready or has failed and the
SAMIC models panel is filled, one JSON line on stdout and exit 0 (ready) or 1 (not ready).
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QTimer  # noqa: E402

from sambox.__main__ import launch, parse_args  # noqa: E402

TIMEOUT_MS = 120_000


def main(argv: list[str]) -> int:
    app, window = launch(parse_args(argv))
    states: list[tuple[str, str]] = []
    window.session.engine_state.connect(lambda state, text: states.append((state, text)))
    report: dict = {}

    def poll() -> None:
        last = states[-1][0] if states else None
        if last not in ("ready", "failed"):
            return
        panel = window.samic.models_panel
        report.update(
            state=last,
            text=states[-1][1],
            models=[m.name for m in panel.models],
            problems=panel.problems.text(),
            status=window.status_text.text(),
            banner=window.banner.isVisible(),
        )
        app.quit()

    timer = QTimer()
    timer.timeout.connect(poll)
    timer.start(50)
    QTimer.singleShot(TIMEOUT_MS, app.quit)
    app.exec()
    window.session.service.shutdown()
    print(json.dumps(report or {"state": "timeout", "states": states}), flush=True)
    return 0 if report.get("state") == "ready" else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
