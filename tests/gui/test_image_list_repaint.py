"""Rows of the image list are repainted when their status changes (seen under Xvfb: after an
auto-annotation batch only the first image's row said 'to review', the rest kept 'not started'
on screen until something else repainted them)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect
from PySide6.QtGui import QRegion

from sambox.model.status import ImageStatus
from sambox.widgets.image_list import ImageList


class PaintLog(QObject):
    """The union of the regions painted on a widget."""

    def __init__(self) -> None:
        super().__init__()
        self.region = QRegion()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.region = self.region.united(event.region())
        return False


def test_every_changed_row_is_repainted(qtbot) -> None:
    panel = ImageList()
    qtbot.addWidget(panel)
    panel.resize(320, 500)
    names = [f"photo_{i:02d}.jpg" for i in range(12)]
    panel.set_images(dict.fromkeys(names, ImageStatus.NOT_STARTED))
    panel.show()
    qtbot.waitExposed(panel)
    qtbot.wait(50)
    log = PaintLog()
    panel.tree.viewport().installEventFilter(log)
    for name in names[4:]:  # a batch's statuses arrive one after another
        panel.set_status(name, ImageStatus.PREDICTED)
    qtbot.wait(100)
    for i, name in enumerate(names):
        rect: QRect = panel.tree.visualItemRect(panel.tree.topLevelItem(i))
        if i >= 4:
            assert log.region.contains(rect.center()), f"{name}'s row was not repainted"
