"""The image list on screen: rows are repainted when their status changes (seen under Xvfb: after an
auto-annotation batch only the first image's row said 'to review', the rest kept 'not started'
on screen until something else repainted them)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, QRect
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
    header = panel.tree.header()
    status_x = header.sectionViewportPosition(1) + header.sectionSize(1) // 2
    for i, name in enumerate(names[4:], start=4):
        row: QRect = panel.tree.visualItemRect(panel.tree.topLevelItem(i))
        cell = QPoint(status_x, row.center().y())
        assert log.region.contains(cell), f"{name}'s status was not repainted"


def test_a_long_folder_needs_no_sideways_scrolling(qtbot) -> None:
    """With 74 images (a vertical scrollbar) the narrow list also grew a horizontal one under
    Xvfb, hiding the last row: the stretched last column 'Emb.' kept its 100 px default."""
    panel = ImageList()
    qtbot.addWidget(panel)
    panel.resize(270, 400)
    panel.set_images({f"photo_{i:02d}.jpg": ImageStatus.NOT_STARTED for i in range(74)})
    panel.show()
    qtbot.waitExposed(panel)
    qtbot.wait(50)
    tree = panel.tree
    assert tree.verticalScrollBar().isVisible()
    assert not tree.horizontalScrollBar().isVisible()
    assert tree.header().length() <= tree.viewport().width()
