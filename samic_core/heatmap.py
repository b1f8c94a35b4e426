"""Point prompts <-> saliency-like heat maps (paper sections 3.2 and 3.4).

Coordinates are pixels of the original image, x to the right and y down, with pixel (i, j)
covering [j, j+1) x [i, i+1); a point's normalised position is ((x + 0.5) / W, (y + 0.5) / H).
A heat map of any size h x w samples the same continuous map at its own pixel centres, so the
paper's formula holds exactly at h, w = H, W and the peaks stay in place at other sizes.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

SIGMA = 0.02
THRESHOLD = 0.5


def points_to_heatmap(
    points: np.ndarray | list[tuple[float, float]],
    image_size: tuple[int, int],
    out_size: tuple[int, int] | None = None,
    sigma: float = SIGMA,
) -> np.ndarray:
    """Sum of Gaussians on normalised coordinates, divided by its max (paper eq. in 3.2).

    Arguments:
      points: (N, 2) positive prompt points as (x, y) in original-image pixels.
      image_size: (H, W) of the original image.
      out_size: (h, w) of the returned map; defaults to (H, W).
      sigma: Gaussian width in normalised units (0.02 in the paper).
    Returns:
      float32 (h, w) in [0, 1], max 1; all zeros when there are no points.
    """
    H, W = image_size
    h, w = out_size if out_size is not None else image_size
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if len(pts) == 0:
        return np.zeros((h, w), np.float32)
    u = (np.arange(w) + 0.5) / w  # (w,) normalised column centres
    v = (np.arange(h) + 0.5) / h  # (h,)
    uk = (pts[:, 0] + 0.5) / W  # (N,)
    vk = (pts[:, 1] + 0.5) / H
    # separable Gaussian: exp(-(du^2 + dv^2) / 2s^2) = gx * gy, summed over points
    gx = np.exp(-((u[None, :] - uk[:, None]) ** 2) / (2 * sigma**2))  # (N, w)
    gy = np.exp(-((v[None, :] - vk[:, None]) ** 2) / (2 * sigma**2))  # (N, h)
    heat = np.einsum("nh,nw->hw", gy, gx)
    peak = heat.max()
    if peak <= 0:
        return np.zeros((h, w), np.float32)
    return (heat / peak).astype(np.float32)


@dataclass(frozen=True)
class Peak:
    """One connected component of a binarised heat map, as a point prompt."""

    x: float  # original-image pixels
    y: float
    score: float  # max heat inside the component, in [0, 1] for a max-normalised map
    area: int  # component area in heat-map pixels


def heatmap_to_peaks(
    heat: np.ndarray,
    image_size: tuple[int, int] | None = None,
    threshold: float = THRESHOLD,
) -> list[Peak]:
    """Binarise at `threshold`, take connected components from OpenCV contours, return centroids.

    Each external contour is filled and intersected with the binary map (so holes do not count),
    and its centroid comes from the pixel moments M10/M00, M01/M00 (paper section 3.4). Results
    are in original-image pixels (`image_size` = (H, W), default the heat map's own size), sorted
    by score, highest first. A map with nothing above the threshold gives an empty list.
    """
    heat = np.asarray(heat, dtype=np.float32)
    if heat.ndim != 2:
        raise ValueError(f"heat map must be 2-D, got shape {heat.shape}")
    h, w = heat.shape
    H, W = image_size if image_size is not None else (h, w)
    binary = (heat >= threshold).astype(np.uint8)
    if not binary.any():
        return []
    contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    peaks: list[Peak] = []
    for contour in contours:
        x0, y0, bw, bh = cv2.boundingRect(contour)
        region = np.zeros((bh, bw), np.uint8)
        cv2.drawContours(region, [contour - np.array([x0, y0])], -1, 1, thickness=cv2.FILLED)
        region &= binary[y0 : y0 + bh, x0 : x0 + bw]
        m = cv2.moments(region, binaryImage=True)
        if m["m00"] <= 0:  # cannot happen for a filled contour, kept as a guard
            continue
        cx = x0 + m["m10"] / m["m00"]  # heat-map pixel index coordinates
        cy = y0 + m["m01"] / m["m00"]
        score = float(heat[y0 : y0 + bh, x0 : x0 + bw][region.astype(bool)].max())
        peaks.append(
            Peak(
                x=float((cx + 0.5) * W / w - 0.5),
                y=float((cy + 0.5) * H / h - 0.5),
                score=score,
                area=int(m["m00"]),
            )
        )
    peaks.sort(key=lambda p: p.score, reverse=True)
    return peaks


def heatmap_to_points(
    heat: np.ndarray,
    image_size: tuple[int, int] | None = None,
    threshold: float = THRESHOLD,
) -> np.ndarray:
    """Like `heatmap_to_peaks` but returns only the (N, 2) float array of (x, y) points."""
    peaks = heatmap_to_peaks(heat, image_size, threshold)
    return np.array([[p.x, p.y] for p in peaks], dtype=np.float64).reshape(-1, 2)
