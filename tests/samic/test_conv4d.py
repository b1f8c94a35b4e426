"""CenterPivotConv4d against a dense 4D convolution whose kernel lives on the two pivot planes."""

from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn.functional as F

from samic_core.model.conv4d import CenterPivotConv4d


def dense_center_pivot_reference(conv: CenterPivotConv4d, x: torch.Tensor) -> torch.Tensor:
    """A plain 4D convolution, stride (1, 1, s, s), padding k//2, with the center-pivot kernel."""
    wa, ba = conv.conv_query.weight, conv.conv_query.bias  # (O, C, k, k) over query dims
    wb, bb = conv.conv_support.weight, conv.conv_support.bias  # over support dims
    o, c, k, _ = wa.shape
    p, s = k // 2, conv.stride
    kernel = torch.zeros(o, c, k, k, k, k, dtype=x.dtype)
    kernel[:, :, :, :, p, p] += wa  # query plane through the support centre
    kernel[:, :, p, p, :, :] += wb  # support plane through the query centre
    xp = F.pad(x, (p, p) * 4)  # pads the last four dims
    b, _, hq, wq, hs, ws = x.shape
    hs2, ws2 = (hs - 1) // s + 1, (ws - 1) // s + 1
    out = torch.zeros(b, o, hq, wq, hs2, ws2, dtype=x.dtype)
    for i, j, m, n in itertools.product(range(hq), range(wq), range(hs2), range(ws2)):
        window = xp[:, :, i : i + k, j : j + k, m * s : m * s + k, n * s : n * s + k]
        out[:, :, i, j, m, n] = torch.einsum("bcwxyz,ocwxyz->bo", window, kernel) + ba + bb
    return out


@pytest.mark.parametrize(("k", "s", "shape"), [(3, 1, (5, 5, 5, 5)), (3, 2, (5, 4, 5, 6)),
                                               (5, 4, (4, 5, 9, 7))])  # fmt: skip
def test_matches_dense_4d_convolution(k: int, s: int, shape: tuple[int, ...]) -> None:
    torch.manual_seed(0)
    conv = CenterPivotConv4d(2, 3, k, s).double()
    x = torch.randn(2, 2, *shape, dtype=torch.float64)
    got = conv(x)
    assert got.shape == (2, 3, shape[0], shape[1], -(-shape[2] // s), -(-shape[3] // s))
    torch.testing.assert_close(got, dense_center_pivot_reference(conv, x))


def test_new_input_size_after_first_call_is_handled() -> None:
    """The reference caches its prune indices on the first call; ours must not."""
    torch.manual_seed(0)
    conv = CenterPivotConv4d(1, 2, 3, 2).double()
    small = torch.randn(1, 1, 3, 3, 4, 4, dtype=torch.float64)
    big = torch.randn(1, 1, 3, 3, 7, 7, dtype=torch.float64)
    conv(small)
    torch.testing.assert_close(conv(big), dense_center_pivot_reference(conv, big))


def test_rejects_even_kernel() -> None:
    with pytest.raises(ValueError, match="odd"):
        CenterPivotConv4d(1, 1, 4)
