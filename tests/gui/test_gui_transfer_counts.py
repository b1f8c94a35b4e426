"""The Export / Import dialogs' summaries count in words: '1 image has no annotation yet',
never '1 images have no annotation yet'."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sambox.services.transfer_service import TransferService
from sambox.widgets.transfer_dialogs import ExportDialog, ImportDialog
from samic_core.export.common import ExportReport, ImportReport

ONE_PLURAL = re.compile(r"\b1 (images|objects)\b")


@pytest.mark.parametrize("n", [1, 2])
def test_dialog_summaries_count_in_words(qtbot, tmp_path: Path, n: int) -> None:
    transfer = TransferService()
    export, imp = ExportDialog(transfer, tmp_path), ImportDialog(transfer, tmp_path)
    qtbot.addWidget(export)
    qtbot.addWidget(imp)
    counts = dict(images=n, objects=n, excluded_unreviewed=n, unannotated_images=n, rle_objects=n)
    text = export.describe(ExportReport("coco", tmp_path / "out", **counts))  # type: ignore[arg-type]
    text += "\n" + imp.describe(ImportReport("coco", tmp_path, images=n, objects=n))
    if n == 1:
        assert "Exported 1 image, 1 object to" in text
        assert "1 image has no annotation yet" in text and "Imported 1 object into 1 image" in text
        assert not ONE_PLURAL.search(text), text
    else:
        assert "2 images have no annotation yet" in text and "2 objects into 2 images" in text
