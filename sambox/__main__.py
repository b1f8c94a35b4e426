"""`sambox [FOLDER]`: open the annotation app (on a folder of images)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from samic_core.config import MODEL_TYPE_CHOICES


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="sambox", description="SAM-assisted image annotation.")
    p.add_argument("folder", nargs="?", type=Path, help="folder of images to annotate")
    p.add_argument("--settings", type=Path, help="use this ini file instead of the user settings")
    p.add_argument("--checkpoint", type=Path, help="SAM checkpoint (remembered in the settings)")
    p.add_argument(
        "--model-type",
        choices=MODEL_TYPE_CHOICES,
        help="SAM architecture of the checkpoint (remembered in the settings; default: auto)",
    )
    return p.parse_args(argv)


def launch(args: argparse.Namespace) -> tuple[Any, Any]:
    """Create the application and the shown main window, and start loading (no event loop)."""
    from PySide6.QtWidgets import QApplication

    from sambox.app import build_window, start
    from sambox.settings import AppSettings

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("SAMBOX")
    settings = AppSettings.from_file(args.settings) if args.settings else AppSettings()
    if args.checkpoint is not None:  # a file given alone says which engine and size it is
        settings.checkpoint = args.checkpoint
        settings.model_type = args.model_type or "auto"
    elif args.model_type is not None:
        settings.model_type = args.model_type
    window = build_window(settings)
    window.show()
    start(window, args.folder)
    return app, window


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.folder is not None and not args.folder.is_dir():
        sys.stderr.write(f"sambox: {args.folder}: not a folder\n")
        return 2
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app, _window = launch(args)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
