"""`sambox` entry point (the app itself arrives with the SAMBOX issue)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    sys.stderr.write("sambox: the desktop app is not built yet; use the `samic` CLI for now.\n")
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
