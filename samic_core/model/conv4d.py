"""Center-pivot 4D convolution (HSNet): a 4D kernel that is non-zero only on two 2D planes.

A correlation tensor (B, C, Hq, Wq, Hs, Ws) has query dims first and support dims last. The
kernel's query plane is a 2D conv over (Hq, Wq) at every kept support position; its support plane
is a strided 2D conv over (Hs, Ws) at every query position. The stride only shrinks the support
dims, so the query resolution is never reduced.
"""

from __future__ import annotations

import torch
from einops import rearrange
from torch import nn


class CenterPivotConv4d(nn.Module):
    """Y = conv_q(X pruned to every s-th support position) + conv_s(X with stride s).

    Arguments:
      in_channels, out_channels: channel counts of the 6-D tensors.
      kernel_size: k, the same in all four dims (odd), padding k // 2.
      stride: s, applied to the support dims only.
    Shapes: (B, Cin, Hq, Wq, Hs, Ws) -> (B, Cout, Hq, Wq, ceil(Hs / s), ceil(Ws / s)).
    """

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1
    ) -> None:
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError(f"kernel_size must be odd, got {kernel_size}")
        self.stride = stride
        pad = kernel_size // 2
        self.conv_query = nn.Conv2d(in_channels, out_channels, kernel_size, padding=pad)
        self.conv_support = nn.Conv2d(
            in_channels, out_channels, kernel_size, stride=stride, padding=pad
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, hq, wq, _, _ = x.shape
        # Branch A: keep support positions 0, s, 2s, ... (indices derived from this input's
        # shape on every call, so a new size or device can never reuse stale indices).
        pruned = x[..., :: self.stride, :: self.stride]  # (B, C, Hq, Wq, Hs', Ws')
        hs2, ws2 = pruned.shape[-2:]
        a = rearrange(pruned, "b c hq wq hs ws -> (b hs ws) c hq wq")
        a = self.conv_query(a)  # (B*Hs'*Ws', Cout, Hq, Wq)
        a = rearrange(a, "(b hs ws) c hq wq -> b c hq wq hs ws", b=b, hs=hs2, ws=ws2)
        # Branch B: strided conv over the support dims at every query position.
        s = rearrange(x, "b c hq wq hs ws -> (b hq wq) c hs ws")
        s = self.conv_support(s)  # (B*Hq*Wq, Cout, Hs', Ws')
        s = rearrange(s, "(b hq wq) c hs ws -> b c hq wq hs ws", b=b, hq=hq, wq=wq)
        return a + s
