"""What of a big image the canvas draws at full resolution: the region in view with a margin,
and the grid that samples it at about the screen's resolution (plain arithmetic, no Qt)."""

from __future__ import annotations

Region = tuple[int, int, int, int]  # (y0, x0, y1, x1) in image pixels

VIEW_MARGIN = 4  # a big image's view is drawn with a quarter of its size around it


def view_grid(
    seen: Region, image_size: tuple[int, int], zoom: float
) -> tuple[Region, tuple[int, int]]:
    """`seen` (the pixels in view) grown by a quarter of its size on each side, clipped to the
    image, and the (h, w) grid that samples it at one point per screen pixel (`zoom`: screen
    pixels per image pixel), at most one per image pixel."""
    y0, x0, y1, x1 = seen
    h, w = image_size
    my, mx = (y1 - y0) // VIEW_MARGIN, (x1 - x0) // VIEW_MARGIN
    y0, x0, y1, x1 = max(0, y0 - my), max(0, x0 - mx), min(h, y1 + my), min(w, x1 + mx)
    step = max(1.0, 1.0 / zoom)
    return (y0, x0, y1, x1), (max(1, round((y1 - y0) / step)), max(1, round((x1 - x0) / step)))
