"""The loss plot keeps its text inside the widget: the "best" label of the last epoch flips to
the left of its marker instead of being drawn past the right edge."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRectF

from sambox.widgets.loss_plot import LossPlot


@pytest.mark.parametrize("best", [1, 5, 10])
def test_best_label_stays_inside_the_plot(qtbot, best):
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(460, 220)
    for epoch in range(1, 11):
        plot.set_epoch(epoch, 20.0 - epoch, 19.0 - epoch)
    plot.set_best_epoch(best)
    plot.grab()  # paints, which places the label
    label = plot.best_label_rect
    assert label is not None and label.width() > 0
    assert QRectF(plot.rect()).contains(label), (label, plot.rect())
