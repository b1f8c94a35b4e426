"""Fixtures of the export tests (helpers live in export_helpers.py: test modules import those)."""

from __future__ import annotations

from pathlib import Path

import pytest
from export_helpers import Annotated, build_annotated_folder


@pytest.fixture
def annotated(tmp_path: Path) -> Annotated:
    return build_annotated_folder(tmp_path / "images")
