"""A light GAN for small data and small compute, after FastGAN (Liu et al., ICLR 2021).

What it takes from FastGAN: a generator with one convolution per resolution at the
large sizes (where the pixels, and so the cost, are), skip-layer excitation (SLE:
coarse features gate the channels of fine ones, a cheap long-range path), and a
discriminator with cheap stride-2 blocks that must also rebuild its input from its
8×8 features and a random quarter of it from its 16×16 features through small
decoders: a self-supervised task that keeps D learning real structure on a few
hundred images instead of memorising them.

What it keeps from our style GAN, so every tool of the studio works unchanged: the
mapping network z → w with its tracked mean (truncation, class centres), and w
modulating the synthesis per layer (``num_ws`` ws; latent directions limited to a
range of layers, style mixing, per-layer w+ all apply). :class:`FastGenerator` is a
:class:`StyleGenerator` whose synthesis network is replaced, so it offers exactly the
same methods (``mapping``, ``map``, ``synthesize``, ``decode``, ``sample``, training
``forward`` with mixing). No batch normalisation anywhere in G: an image must not
depend on the others drawn with it, or a recipe would not remake it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import torch
import torch.nn.functional as F
from torch import nn

from studio.models.gan import GANConfig, StyleGenerator
from studio.models.layers import ACT_GAIN, EqConv2d, EqLinear, ModulatedConv2d

# The size both reconstructions are compared at: small, so the decoders stay cheap.
RECON_SIZE = 32
# The reconstruction loss's weight in D's loss (FastGAN's: 1).
RECON_WEIGHT = 1.0


@dataclass(frozen=True)
class FastGANConfig(GANConfig):
    """A :class:`GANConfig` (mapping, widths, classes) plus FastGAN's own fields."""

    two_convs_below: int = 32  # blocks under this resolution have two convs, above one
    sle_span: int = 8  # a block at resolution r ≥ 32 is gated by the one at r / sle_span
    decoder_channels: int = 32  # width of D's reconstruction decoders

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.two_convs_below < 4 or self.two_convs_below & (self.two_convs_below - 1):
            raise ValueError("FastGAN two_convs_below must be a power of two, 4 or more.")
        if self.sle_span < 2 or self.sle_span & (self.sle_span - 1):
            raise ValueError("FastGAN sle_span must be a power of two, 2 or more.")
        if self.decoder_channels < 1:
            raise ValueError("FastGAN decoder_channels must be positive.")

    def convs_at(self, res: int) -> int:
        """Convolutions in the synthesis block at ``res``: the 4×4 block has one."""
        if res == 4:
            return 1
        return 2 if res < self.two_convs_below else 1

    def sle_source(self, res: int) -> int | None:
        """The resolution whose features gate the block at ``res``, if any."""
        src = res // self.sle_span
        return src if res >= 32 and src >= 4 else None

    @property
    def num_ws(self) -> int:
        """One w per synthesis conv, plus one for the to-RGB layer."""
        return sum(self.convs_at(r) for r in self.resolutions) + 1


class SkipExcitation(nn.Module):
    """SLE: channel gates for a fine feature map computed from a coarse one."""

    def __init__(self, low_ch: int, high_ch: int) -> None:
        super().__init__()
        # A 4×4 conv over the coarse map pooled to 4×4 (FastGAN's), then a 1×1.
        self.squeeze = nn.Parameter(torch.randn(high_ch, low_ch, 4, 4))
        self.squeeze_gain = 1.0 / math.sqrt(low_ch * 16)
        self.excite = EqLinear(high_ch, high_ch)

    def forward(self, low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
        s = F.adaptive_avg_pool2d(low, 4)
        s = F.conv2d(s, self.squeeze * self.squeeze_gain).flatten(1)  # (N, high_ch)
        gate = torch.sigmoid(self.excite(F.silu(s)))
        return high * gate[:, :, None, None]


class FastBlock(nn.Module):
    """One resolution: (nearest upsample +) one or two modulated convs."""

    def __init__(self, in_ch: int, out_ch: int, w_dim: int, convs: int, first: bool) -> None:
        super().__init__()
        self.first = first
        self.convs = convs
        if first:
            self.const = nn.Parameter(torch.randn(out_ch, 4, 4))
            in_ch = out_ch
        self.layers = nn.ModuleList(
            ModulatedConv2d(in_ch if i == 0 else out_ch, out_ch, w_dim) for i in range(convs)
        )

    def forward(self, x: torch.Tensor | None, ws: torch.Tensor) -> torch.Tensor:
        if self.first:
            x = self.const.unsqueeze(0).expand(ws.shape[0], -1, -1, -1)
        else:
            assert x is not None
            # Nearest, as FastGAN: bilinear costs more and the conv smooths anyway.
            x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        for i, layer in enumerate(cast(list[ModulatedConv2d], self.layers)):
            x = F.leaky_relu(layer(x, ws[:, i]), 0.2) * ACT_GAIN
        return x


class FastSynthesis(nn.Module):
    """ws (N, num_ws, w_dim) → images (N, 3, R, R) in (-1, 1)."""

    def __init__(self, cfg: FastGANConfig) -> None:
        super().__init__()
        self.resolutions = cfg.resolutions
        blocks, gates = [], {}
        prev = 0
        for i, res in enumerate(cfg.resolutions):
            ch = cfg.channels(res)
            blocks.append(FastBlock(prev, ch, cfg.w_dim, cfg.convs_at(res), first=i == 0))
            src = cfg.sle_source(res)
            if src is not None:
                gates[str(res)] = SkipExcitation(cfg.channels(src), ch)
            prev = ch
        self.blocks = nn.ModuleList(blocks)
        self.gates = nn.ModuleDict(gates)
        self.sources = {res: cfg.sle_source(res) for res in cfg.resolutions}
        self.torgb = ModulatedConv2d(prev, 3, cfg.w_dim, kernel=1, demodulate=False)

    def forward(self, ws: torch.Tensor, between: Callable[[], None] | None = None) -> torch.Tensor:
        """``between`` runs before each block: a cancellation check can stop early."""
        x: torch.Tensor | None = None
        feats: dict[int, torch.Tensor] = {}
        idx = 0
        for res, block in zip(self.resolutions, cast(list[FastBlock], self.blocks), strict=True):
            if between is not None:
                between()
            x = block(x, ws[:, idx : idx + block.convs])
            idx += block.convs
            src = self.sources[res]
            if src is not None:
                x = self.gates[str(res)](feats[src], x)
            feats[res] = x
        assert x is not None
        # tanh as FastGAN: D never sees values outside the image range.
        return torch.tanh(self.torgb(x, ws[:, idx]))


class FastGenerator(StyleGenerator):
    """The FastGAN-style generator, with the style generator's whole interface."""

    arch = "fastgan"
    cfg: FastGANConfig
    synthesis: FastSynthesis  # type: ignore[assignment]

    def __init__(self, cfg: FastGANConfig) -> None:
        super().__init__(cfg)
        # The parent built its own synthesis network; ours replaces it. (Building it
        # costs a moment once, and keeps every method the parent has, or gains, ours.)
        self.synthesis = FastSynthesis(cfg)


class DownBlock(nn.Module):
    """FastGAN's cheap downsampling: a stride-2 4×4 conv and a 3×3, averaged with a
    pooled 1×1 shortcut."""

    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__()
        self.down = nn.Parameter(torch.randn(out_ch, in_ch, 4, 4))
        self.down_bias = nn.Parameter(torch.zeros(out_ch))
        self.down_gain = 1.0 / math.sqrt(in_ch * 16)
        self.conv = EqConv2d(out_ch, out_ch)
        self.skip = EqConv2d(in_ch, out_ch, kernel=1, activate=False, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.skip(F.avg_pool2d(x, 2))
        h = F.conv2d(x, self.down * self.down_gain, self.down_bias, stride=2, padding=1)
        h = self.conv(F.leaky_relu(h, 0.2) * ACT_GAIN)
        return (h + y) * (1 / math.sqrt(2))


class Decoder(nn.Module):
    """A small decoder from a D feature map to an RGB image of ``RECON_SIZE``."""

    def __init__(self, in_ch: int, in_res: int, ch: int) -> None:
        super().__init__()
        ups = int(math.log2(RECON_SIZE // in_res))
        layers: list[nn.Module] = []
        for i in range(ups):
            layers.append(EqConv2d(in_ch if i == 0 else ch, ch))
        self.layers = nn.ModuleList(layers)
        self.out = EqConv2d(ch if ups else in_ch, 3, activate=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(F.interpolate(x, scale_factor=2.0, mode="nearest"))
        return torch.tanh(self.out(x))


def _fit(x: torch.Tensor, size: int) -> torch.Tensor:
    """``x`` resized to ``size``² (area-averaged down, bilinear up)."""
    if x.shape[-1] == size:
        return x
    if x.shape[-1] > size:
        return F.adaptive_avg_pool2d(x, size)
    return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)


class FastDiscriminator(nn.Module):
    """Stride-2 blocks to 4×4, a minibatch-std head, and two reconstruction decoders.

    ``forward(img, labels)`` gives the logits, as the style GAN's discriminator does;
    ``judge_and_reconstruct`` also returns the self-supervised loss on (real) images.
    """

    def __init__(self, cfg: FastGANConfig) -> None:
        super().__init__()
        self.cfg = cfg
        res_list = list(reversed(cfg.resolutions))  # R … 4
        self.fromrgb = EqConv2d(3, cfg.channels(cfg.resolution), kernel=1)
        self.block_res = res_list[1:]  # the resolution each block outputs
        self.blocks = nn.ModuleList(
            DownBlock(cfg.channels(r), cfg.channels(r // 2)) for r in res_list[:-1]
        )
        ch4 = cfg.channels(4)
        self.conv = EqConv2d(ch4 + 1, ch4)
        self.fc = EqLinear(ch4 * 16, ch4, activate=True)
        self.out = EqLinear(ch4, 1)
        dc = cfg.decoder_channels
        self.decode_whole = Decoder(cfg.channels(8), 8, dc)
        self.decode_part = Decoder(cfg.channels(16), 8, dc)  # a quarter of the 16×16 map
        self.num_classes = cfg.num_classes
        if cfg.num_classes:
            self.project = EqLinear(cfg.num_classes, ch4)

    def _trunk(self, img: torch.Tensor) -> tuple[torch.Tensor, dict[int, torch.Tensor]]:
        x = self.fromrgb(img)
        kept: dict[int, torch.Tensor] = {}
        for res, block in zip(self.block_res, self.blocks, strict=True):
            x = block(x)
            if res in (8, 16):
                kept[res] = x
        return x, kept

    def _head(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        group = min(4, n)
        while n % group:
            group -= 1
        std = x.view(group, -1, *x.shape[1:]).std(dim=0, unbiased=False)
        std = (std + 1e-8).mean(dim=(1, 2, 3)).repeat(group)[:, None, None, None]
        x = torch.cat([x, std.expand(-1, 1, 4, 4)], dim=1)
        return self.fc(self.conv(x).flatten(1))

    def _logits(self, h: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        logits = self.out(h).squeeze(1)
        if self.num_classes and labels is not None:
            onehot = F.one_hot(labels.to(h.device).long(), self.num_classes).to(h.dtype)
            logits = logits + (h * self.project(onehot)).sum(1) / math.sqrt(h.shape[1])
        return logits

    def features(self, img: torch.Tensor) -> torch.Tensor:
        """Penultimate features (N, C)."""
        return self._head(self._trunk(img)[0])

    def lower_layers(self, count: int) -> list[nn.Module]:
        """The input layer and the first ``count - 1`` blocks: what FreezeD keeps fixed."""
        return [self.fromrgb, *list(self.blocks)[: max(0, count - 1)]] if count > 0 else []

    def forward(self, img: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self._logits(self.features(img), labels)

    def judge_and_reconstruct(
        self, img: torch.Tensor, part: int, labels: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(logits, reconstruction loss): the whole image rebuilt from the 8×8 features,
        and quarter ``part`` (0–3: top-left, top-right, bottom-left, bottom-right) from
        the matching quarter of the 16×16 features, each compared at ``RECON_SIZE``."""
        x, kept = self._trunk(img)
        logits = self._logits(self._head(x), labels)
        whole = self.decode_whole(kept[8])
        f16 = kept[16]
        row, col = divmod(int(part) % 4, 2)
        q = f16.shape[-1] // 2
        rebuilt = self.decode_part(f16[..., row * q : (row + 1) * q, col * q : (col + 1) * q])
        r = img.shape[-1] // 2
        quarter = img[..., row * r : (row + 1) * r, col * r : (col + 1) * r]
        target_whole = _fit(img, RECON_SIZE).detach()
        target_part = _fit(quarter, RECON_SIZE).detach()
        loss = F.mse_loss(whole.float(), target_whole.float()) + F.mse_loss(
            rebuilt.float(), target_part.float()
        )
        return logits, loss
