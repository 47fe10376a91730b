"""Building blocks with equalized learning rate (weights scaled at run time, as in StyleGAN)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

ACT_GAIN = math.sqrt(2.0)


class EqLinear(nn.Module):
    """Linear layer whose weights are stored at unit variance and scaled on use."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias_init: float = 0.0,
        lr_mult: float = 1.0,
        activate: bool = False,
    ) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_mult)
        self.bias = nn.Parameter(torch.full((out_features,), float(bias_init)))
        self.weight_gain = lr_mult / math.sqrt(in_features)
        self.bias_gain = lr_mult
        self.activate = activate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.linear(x, self.weight * self.weight_gain, self.bias * self.bias_gain)
        if self.activate:
            x = F.leaky_relu(x, 0.2) * ACT_GAIN
        return x


class EqConv2d(nn.Module):
    """3×3 (or k×k) convolution with equalized learning rate, bias and optional activation."""

    def __init__(
        self, in_ch: int, out_ch: int, kernel: int = 3, activate: bool = True, bias: bool = True
    ) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_ch, in_ch, kernel, kernel))
        self.bias = nn.Parameter(torch.zeros(out_ch)) if bias else None
        self.weight_gain = 1.0 / math.sqrt(in_ch * kernel * kernel)
        self.padding = kernel // 2
        self.activate = activate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.conv2d(x, self.weight * self.weight_gain, self.bias, padding=self.padding)
        if self.activate:
            x = F.leaky_relu(x, 0.2) * ACT_GAIN
        return x


class ModulatedConv2d(nn.Module):
    """A convolution whose input channels are scaled per sample by a style vector.

    Uses the non-fused form (scale the activations, run one batched convolution, then
    demodulate the outputs), which is mathematically the same as StyleGAN2's per-sample
    weights but runs as a single ordinary convolution: much faster on CPUs.
    """

    def __init__(
        self, in_ch: int, out_ch: int, w_dim: int, kernel: int = 3, demodulate: bool = True
    ) -> None:
        super().__init__()
        self.affine = EqLinear(w_dim, in_ch, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(out_ch, in_ch, kernel, kernel))
        self.bias = nn.Parameter(torch.zeros(out_ch))
        self.weight_gain = 1.0 / math.sqrt(in_ch * kernel * kernel)
        self.padding = kernel // 2
        self.demodulate = demodulate

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        styles = self.affine(w)
        weight = self.weight * self.weight_gain
        x = x * styles[:, :, None, None]
        x = F.conv2d(x, weight, padding=self.padding)
        if self.demodulate:
            w2 = weight.square().sum(dim=(2, 3))
            d = torch.rsqrt(styles.square() @ w2.t() + 1e-8)
            x = x * d[:, :, None, None]
        return x + self.bias[None, :, None, None]
