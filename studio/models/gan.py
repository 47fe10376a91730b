"""A small style-based GAN: mapping network z → w, synthesis modulated by w per layer.

The layout follows StyleGAN2 (skip to-RGB outputs, weight demodulation, a tracked mean
w for truncation, one w per synthesis layer so styles can be mixed and edits limited to
a range of layers) at a size that trains on a laptop CPU.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import torch
import torch.nn.functional as F
from torch import nn

from studio.models.base import model_device, seeded_normal
from studio.models.layers import ACT_GAIN, EqConv2d, EqLinear, ModulatedConv2d

CENTRE_SAMPLES = 256  # latents per class for a class's mean w
CENTRE_SEED = 0x5EED_C1A55


@dataclass(frozen=True)
class GANConfig:
    """Shape of the generator and discriminator; everything is derived from these fields."""

    resolution: int = 64
    z_dim: int = 128
    w_dim: int = 256
    mapping_layers: int = 4
    channel_base: int = 2048
    channel_max: int = 256
    mapping_lr_mult: float = 0.01
    w_avg_beta: float = 0.995
    num_classes: int = 0  # > 0: class-conditional (labels are class indices)

    def __post_init__(self) -> None:
        r = self.resolution
        if not (32 <= r <= 256) or r & (r - 1):
            raise ValueError(
                f"GAN resolution must be a power of two from 32 to 256, not {self.resolution}."
            )
        for name in ("z_dim", "w_dim", "mapping_layers", "channel_base", "channel_max"):
            if getattr(self, name) < 1:
                raise ValueError(f"GAN {name} must be positive.")
        if self.num_classes < 0:
            raise ValueError("GAN num_classes must be 0 (unconditional) or more.")
        if not 0 < self.mapping_lr_mult <= 1:
            raise ValueError("GAN mapping_lr_mult must be above 0 and at most 1.")

    def channels(self, res: int) -> int:
        """Feature channels at a given resolution (fewer as the images grow)."""
        return max(1, min(self.channel_max, self.channel_base // res))

    @property
    def resolutions(self) -> list[int]:
        return [2**i for i in range(2, int(math.log2(self.resolution)) + 1)]

    @property
    def num_ws(self) -> int:
        """How many w vectors the synthesis network takes: one per conv, plus the last to-RGB."""
        return 1 + 2 * (len(self.resolutions) - 1) + 1


def _normalize(x: torch.Tensor) -> torch.Tensor:
    return x * torch.rsqrt(x.square().mean(dim=1, keepdim=True) + 1e-8)


class MappingNetwork(nn.Module):
    """z → w through a small MLP, with the running mean of w kept for truncation."""

    w_avg: torch.Tensor

    def __init__(self, cfg: GANConfig) -> None:
        super().__init__()
        self.num_classes = cfg.num_classes
        if cfg.num_classes:
            # As in StyleGAN2-ADA: an embedded one-hot label joins the normalised z.
            self.embed = EqLinear(cfg.num_classes, cfg.z_dim)
        in_dim = cfg.z_dim * (2 if cfg.num_classes else 1)
        dims = [in_dim] + [cfg.w_dim] * cfg.mapping_layers
        self.layers = nn.ModuleList(
            EqLinear(a, b, lr_mult=cfg.mapping_lr_mult, activate=True)
            for a, b in zip(dims[:-1], dims[1:], strict=True)
        )
        self.register_buffer("w_avg", torch.zeros(cfg.w_dim))
        self.w_avg_beta = cfg.w_avg_beta

    def forward(
        self, z: torch.Tensor, labels: torch.Tensor | None = None, update_w_avg: bool = False
    ) -> torch.Tensor:
        # Normalise z to the unit sphere × sqrt(dim), as StyleGAN does (pixel norm).
        x = _normalize(z)
        if self.num_classes:
            if labels is None:
                raise ValueError("This model is class-conditional: choose a class.")
            onehot = F.one_hot(labels.to(z.device).long(), self.num_classes).to(z.dtype)
            x = torch.cat([x, _normalize(self.embed(onehot))], dim=1)
        for layer in self.layers:
            x = layer(x)
        if update_w_avg:
            with torch.no_grad():
                # In full precision even under autocast: the mean moves by tiny steps.
                mean = x.detach().to(self.w_avg.dtype).mean(0)
                self.w_avg.copy_(mean.lerp(self.w_avg, self.w_avg_beta))
        return x


class SynthesisBlock(nn.Module):
    """One resolution step: (upsample +) two modulated convs, and a to-RGB output."""

    convs: int

    def __init__(self, in_ch: int, out_ch: int, w_dim: int, first: bool) -> None:
        super().__init__()
        self.first = first
        if first:
            self.const = nn.Parameter(torch.randn(out_ch, 4, 4))
            self.conv1 = ModulatedConv2d(out_ch, out_ch, w_dim)
            self.convs = 1
        else:
            self.conv0 = ModulatedConv2d(in_ch, out_ch, w_dim)
            self.conv1 = ModulatedConv2d(out_ch, out_ch, w_dim)
            self.convs = 2
        self.torgb = ModulatedConv2d(out_ch, 3, w_dim, kernel=1, demodulate=False)

    def forward(
        self, x: torch.Tensor | None, rgb: torch.Tensor | None, ws: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if self.first:
            x = self.const.unsqueeze(0).expand(ws.shape[0], -1, -1, -1)
            x = F.leaky_relu(self.conv1(x, ws[:, 0]), 0.2) * ACT_GAIN
        else:
            assert x is not None
            x = F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)
            x = F.leaky_relu(self.conv0(x, ws[:, 0]), 0.2) * ACT_GAIN
            x = F.leaky_relu(self.conv1(x, ws[:, 1]), 0.2) * ACT_GAIN
        y = self.torgb(x, ws[:, self.convs])
        if rgb is not None:
            y = y + F.interpolate(rgb, scale_factor=2.0, mode="bilinear", align_corners=False)
        return x, y


class SynthesisNetwork(nn.Module):
    """ws (N, num_ws, w_dim) → images (N, 3, R, R)."""

    def __init__(self, cfg: GANConfig) -> None:
        super().__init__()
        blocks = []
        prev = 0
        for i, res in enumerate(cfg.resolutions):
            ch = cfg.channels(res)
            blocks.append(SynthesisBlock(prev, ch, cfg.w_dim, first=i == 0))
            prev = ch
        self.blocks = nn.ModuleList(blocks)

    def forward(self, ws: torch.Tensor, between: Callable[[], None] | None = None) -> torch.Tensor:
        """``between`` runs after each block: a cancellation check can stop early."""
        x: torch.Tensor | None = None
        rgb: torch.Tensor | None = None
        idx = 0
        for block in cast(list[SynthesisBlock], self.blocks):
            if between is not None:
                between()
            # A block's to-RGB shares its w with the next block's first conv.
            x, rgb = block(x, rgb, ws[:, idx : idx + block.convs + 1])
            idx += block.convs
        assert rgb is not None
        return rgb


class StyleGenerator(nn.Module):
    """The generator users sample from: mapping + synthesis, with truncation."""

    arch = "stylegan"
    cfg: GANConfig
    mapping: MappingNetwork
    synthesis: SynthesisNetwork

    def __init__(self, cfg: GANConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.mapping = MappingNetwork(cfg)
        self.synthesis = SynthesisNetwork(cfg)
        self.latent_size = cfg.z_dim
        self.resolution = cfg.resolution
        self.num_ws = cfg.num_ws
        # Class centres by label, and the mapping weights' versions they were made from.
        self._centres: dict[int, torch.Tensor] = {}
        self._centres_of: tuple[int, ...] = ()

    def class_centres(self, labels: torch.Tensor) -> torch.Tensor:
        """The mean w of each label's class (N, w_dim), from a fixed draw of z.

        The tracked mean w is the centre of all classes together; truncating a class's
        w toward it drifts into other classes, so a conditional model truncates toward
        its own class's centre instead (as StyleGAN-XL does). Kept until the mapping's
        weights change, so a slider drag does not pay for it again.
        """
        versions = tuple(p._version for p in self.mapping.parameters())
        if versions != self._centres_of:
            self._centres, self._centres_of = {}, versions
        wanted = [int(k) for k in labels.unique().tolist() if int(k) not in self._centres]
        if wanted:
            # Plain tensors even when called under inference mode: a later call may need
            # gradients through the truncation (inverting a painting, say).
            with torch.inference_mode(False), torch.no_grad():
                z = seeded_normal(CENTRE_SAMPLES, self.cfg.z_dim, CENTRE_SEED)
                z = z.to(model_device(self))
                rows = torch.tensor(wanted).repeat_interleave(CENTRE_SAMPLES)
                w = self.mapping(z.repeat(len(wanted), 1), rows)
                means = w.view(len(wanted), CENTRE_SAMPLES, -1).mean(1)
                self._centres.update(zip(wanted, means, strict=True))
        return torch.stack([self._centres[int(k)] for k in labels.tolist()])

    def sample_latents(self, n: int, seed: int) -> torch.Tensor:
        """z for ``seed`` (CPU-drawn, so the same on every device)."""
        return seeded_normal(n, self.cfg.z_dim, seed)

    def map(
        self, z: torch.Tensor, truncation: float = 1.0, labels: torch.Tensor | None = None
    ) -> torch.Tensor:
        """z → w, pulled toward the mean w by ``truncation`` (1 = none, 0 = the mean);
        for a class-conditional model, toward the mean w of each image's class."""
        w = self.mapping(z.to(model_device(self)), labels)
        if truncation != 1.0:
            centre = self.mapping.w_avg
            if labels is not None and self.cfg.num_classes:
                centre = self.class_centres(labels)
            w = centre.to(w.dtype).lerp(w, truncation)
        return w

    def synthesize(
        self, ws: torch.Tensor, between: Callable[[], None] | None = None
    ) -> torch.Tensor:
        """Images from per-layer ws (N, num_ws, w_dim) or one w per image (N, w_dim).

        ``between`` runs between synthesis blocks (e.g. a cancellation check).
        """
        if ws.dim() == 2:
            ws = ws.unsqueeze(1).expand(-1, self.num_ws, -1)
        # Training reads the raw output; users get the image range [-1, 1].
        return self.synthesis(ws, between).clamp(-1, 1)

    def decode(
        self, latents: torch.Tensor, truncation: float = 1.0, labels: torch.Tensor | None = None
    ) -> torch.Tensor:
        """z (N, z_dim) → images in [-1, 1]."""
        return self.synthesize(self.map(latents, truncation, labels))

    def sample(
        self, n: int, seed: int, truncation: float = 1.0, labels: torch.Tensor | None = None
    ) -> torch.Tensor:
        return self.decode(self.sample_latents(n, seed), truncation, labels)

    def forward(
        self,
        z: torch.Tensor,
        mix_z: torch.Tensor | None = None,
        mix_cutoff: int = 0,
        labels: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Training forward: z → images, with optional style mixing from ``mix_z``."""
        w = self.mapping(z, labels, update_w_avg=self.training)
        ws = w.unsqueeze(1).expand(-1, self.num_ws, -1)
        if mix_z is not None and 0 < mix_cutoff < self.num_ws:
            w2 = self.mapping(mix_z, labels).unsqueeze(1)
            ws = torch.cat([ws[:, :mix_cutoff], w2.expand(-1, self.num_ws - mix_cutoff, -1)], 1)
        return self.synthesis(ws)


class DiscriminatorBlock(nn.Module):
    """Two convs and a downsample, with a residual shortcut."""

    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__()
        self.conv0 = EqConv2d(in_ch, in_ch)
        self.conv1 = EqConv2d(in_ch, out_ch)
        self.skip = EqConv2d(in_ch, out_ch, kernel=1, activate=False, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.avg_pool2d(self.skip(x), 2)
        x = self.conv0(x)
        x = F.avg_pool2d(self.conv1(x), 2)
        return (x + y) * (1 / math.sqrt(2))


class Discriminator(nn.Module):
    """Residual discriminator with a minibatch-standard-deviation feature."""

    def __init__(self, cfg: GANConfig) -> None:
        super().__init__()
        self.cfg = cfg
        res_list = list(reversed(cfg.resolutions))  # R … 4
        self.fromrgb = EqConv2d(3, cfg.channels(cfg.resolution), kernel=1)
        self.blocks = nn.ModuleList(
            DiscriminatorBlock(cfg.channels(r), cfg.channels(r // 2)) for r in res_list[:-1]
        )
        ch4 = cfg.channels(4)
        self.conv = EqConv2d(ch4 + 1, ch4)
        self.fc = EqLinear(ch4 * 16, ch4, activate=True)
        self.out = EqLinear(ch4, 1)
        self.num_classes = cfg.num_classes
        if cfg.num_classes:
            # Projection discriminator: the label's embedding dotted with the features.
            self.project = EqLinear(cfg.num_classes, ch4)

    def features(self, img: torch.Tensor) -> torch.Tensor:
        """Penultimate features (N, C)."""
        x = self.fromrgb(img)
        for block in self.blocks:
            x = block(x)
        n = x.shape[0]
        group = min(4, n)
        while n % group:
            group -= 1
        std = x.view(group, -1, *x.shape[1:]).std(dim=0, unbiased=False)
        std = (std + 1e-8).mean(dim=(1, 2, 3)).repeat(group)[:, None, None, None]
        x = torch.cat([x, std.expand(-1, 1, 4, 4)], dim=1)
        x = self.conv(x)
        return self.fc(x.flatten(1))

    def lower_layers(self, count: int) -> list[nn.Module]:
        """The input layer and the first ``count - 1`` blocks: what FreezeD keeps fixed."""
        return [self.fromrgb, *list(self.blocks)[: max(0, count - 1)]] if count > 0 else []

    def forward(self, img: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        h = self.features(img)
        logits = self.out(h).squeeze(1)
        if self.num_classes and labels is not None:
            onehot = F.one_hot(labels.to(img.device).long(), self.num_classes).to(h.dtype)
            logits = logits + (h * self.project(onehot)).sum(1) / math.sqrt(h.shape[1])
        return logits


def load_unconditional(
    G: StyleGenerator,
    D: Discriminator | None,
    g_state: dict[str, torch.Tensor],
    d_state: dict[str, torch.Tensor] | None = None,
) -> None:
    """Start a class-conditional GAN from an unconditional one's weights.

    Everything the two share is copied, and the new model at first draws and judges
    exactly as the old one did, whatever the label; training then teaches it the
    classes: a warm start rather than a run from scratch. ``ValueError`` if the weights
    are not an unconditional GAN of the same shape.

    How the label starts matters for how fast it is learnt. Zero weights for its inputs
    would keep the old function, but then they grow by Adam's small steps from nothing,
    and the label stays a whisper for thousands of steps. Instead its inputs get full-size
    random weights, while every class starts with the same embedding, whose constant
    contribution the layer's bias cancels. The embedding (at the full learning rate) then
    only has to move apart per class to be heard at once.
    """
    cfg = G.cfg
    key = "mapping.layers.0.weight"
    old = g_state.get(key)
    if not cfg.num_classes or old is None or tuple(old.shape) != (cfg.w_dim, cfg.z_dim):
        raise ValueError("Only an unconditional GAN of the same size can start this model.")
    own = G.state_dict()
    first = G.mapping.layers[0]
    # EqLinear scales its weight by 1/sqrt(inputs) on use: with twice the inputs, ×√2
    # keeps the z part's output exactly as it was.
    z_part = old.float() * math.sqrt(2)
    fresh = own[key][:, cfg.z_dim :].float()
    label_part = fresh / fresh.std() * z_part.std()
    # Every class's embedding, to begin with. The embedding is normalised, so its scale
    # sets how far its steps (2e-4 each through the 1/sqrt(classes) gain) turn it: at 0.25
    # the label moved the image by 7 % as much as z did after 1,000 steps on emoji-gan;
    # at 0.025 the same steps count ten times as much.
    shared = torch.randn(cfg.z_dim) * 0.025
    e0 = _normalize((shared * G.mapping.embed.bias_gain).unsqueeze(0))[0]
    constant = (label_part * first.weight_gain) @ e0
    g = dict(g_state)
    g[key] = torch.cat([z_part, label_part], dim=1).to(own[key].dtype)
    bias = "mapping.layers.0.bias"
    g[bias] = (g_state[bias].float() - constant / first.bias_gain).to(own[bias].dtype)
    g["mapping.embed.weight"] = torch.zeros_like(own["mapping.embed.weight"])
    g["mapping.embed.bias"] = shared.to(own["mapping.embed.bias"].dtype)
    G.load_state_dict(g)
    if D is None:
        return
    d = dict(d_state) if d_state else D.state_dict()
    d["project.weight"] = torch.zeros_like(D.project.weight)
    d["project.bias"] = torch.zeros_like(D.project.bias)
    D.load_state_dict(d)


def with_mapping_lr(
    state: dict[str, torch.Tensor], old: float, new: float
) -> dict[str, torch.Tensor]:
    """A generator's weights re-stored for a mapping learning-rate multiplier of ``new``
    instead of ``old``, computing exactly the same.

    The mapping layers store weight and bias divided by their multiplier (an equalised
    learning rate), so Adam's steps move them ``multiplier`` times as fast as other
    layers. Fine-tuning may want them faster: a class-conditional warm start must learn
    what its label's new inputs mean, which at StyleGAN's 0.01 takes far too long.
    """
    prefix = "mapping.layers."
    scale = old / new
    return {
        k: v * scale if k.startswith(prefix) and k.endswith((".weight", ".bias")) else v
        for k, v in state.items()
    }
