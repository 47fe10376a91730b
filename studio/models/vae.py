"""A convolutional variational autoencoder with ``encode`` and ``decode``."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from studio.models.base import model_device, seeded_normal


@dataclass(frozen=True)
class VAEConfig:
    """Shape of the VAE; the spatial size at the bottleneck is always 4×4."""

    resolution: int = 64
    latent_dim: int = 128
    base_channels: int = 32
    max_channels: int = 256
    beta: float = 1.0

    def __post_init__(self) -> None:
        r = self.resolution
        if not (16 <= r <= 256) or r & (r - 1):
            raise ValueError(
                f"VAE resolution must be a power of two from 16 to 256, not {self.resolution}."
            )
        if self.latent_dim < 1 or self.base_channels < 1 or self.beta < 0:
            raise ValueError("VAE latent_dim and base_channels must be positive, beta ≥ 0.")

    @property
    def levels(self) -> int:
        return int(math.log2(self.resolution)) - 2

    def channels(self, level: int) -> int:
        return min(self.max_channels, self.base_channels * 2**level)


class _ResBlock(nn.Module):
    def __init__(self, ch: int) -> None:
        super().__init__()
        self.conv0 = nn.Conv2d(ch, ch, 3, padding=1)
        self.conv1 = nn.Conv2d(ch, ch, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv1(F.silu(self.conv0(F.silu(x))))


def _default_prior(state: dict, prefix: str, *args: object) -> None:
    """Runs and files from before the sampling Gaussian existed load with N(0, I)."""
    weight = state.get(prefix + "from_latent.weight")
    if weight is None:
        return
    dim = weight.shape[1]
    state.setdefault(prefix + "prior_mean", torch.zeros(dim))
    state.setdefault(prefix + "prior_scale", torch.eye(dim))


class ConvVAE(nn.Module):
    """Images (N, 3, R, R) in [-1, 1] ⇄ Gaussian latents (N, latent_dim)."""

    arch = "vae"
    cfg: VAEConfig
    prior_mean: torch.Tensor
    prior_scale: torch.Tensor
    optional_state = ("prior_mean", "prior_scale")  # older files lack them: N(0, I)

    def __init__(self, cfg: VAEConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.latent_size = cfg.latent_dim
        self.resolution = cfg.resolution
        enc: list[nn.Module] = [nn.Conv2d(3, cfg.channels(0), 3, padding=1)]
        for lvl in range(cfg.levels):
            enc += [
                _ResBlock(cfg.channels(lvl)),
                nn.Conv2d(cfg.channels(lvl), cfg.channels(lvl + 1), 4, stride=2, padding=1),
            ]
        enc.append(nn.SiLU())
        self.encoder = nn.Sequential(*enc)
        top = cfg.channels(cfg.levels)
        self.to_stats = nn.Linear(top * 16, 2 * cfg.latent_dim)
        self.from_latent = nn.Linear(cfg.latent_dim, top * 16)
        dec: list[nn.Module] = []
        for lvl in reversed(range(cfg.levels)):
            dec += [
                nn.Upsample(scale_factor=2.0, mode="nearest"),
                nn.Conv2d(cfg.channels(lvl + 1), cfg.channels(lvl), 3, padding=1),
                _ResBlock(cfg.channels(lvl)),
            ]
        dec += [nn.SiLU(), nn.Conv2d(cfg.channels(0), 3, 3, padding=1)]
        self.decoder = nn.Sequential(*dec)
        # Where samples are drawn: N(0, I) until export fits a Gaussian to the encoded
        # training set (a small-β VAE's codes do not fill the unit ball, so samples from
        # the plain prior land where the decoder never learned to draw).
        self.register_buffer("prior_mean", torch.zeros(cfg.latent_dim))
        self.register_buffer("prior_scale", torch.eye(cfg.latent_dim))
        self._register_load_state_dict_pre_hook(_default_prior)

    def encode_stats(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance of q(z | x)."""
        h = self.encoder(images.to(model_device(self)))
        mu, logvar = self.to_stats(h.flatten(1)).chunk(2, dim=1)
        return mu, logvar.clamp(-30.0, 20.0)

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """The posterior mean: the deterministic code of each image."""
        return self.encode_stats(images)[0]

    def truncate(self, latents: torch.Tensor, truncation: float) -> torch.Tensor:
        """Pull latents toward the sampling mean (1 = unchanged, 0 = the mean)."""
        z = latents.to(model_device(self))
        if truncation == 1.0:
            return z
        return self.prior_mean + (z - self.prior_mean) * truncation

    def decode(self, latents: torch.Tensor, truncation: float = 1.0) -> torch.Tensor:
        """Latents → images in [-1, 1]; ``truncation`` pulls latents toward the mean."""
        z = self.truncate(latents, truncation)
        top = self.cfg.channels(self.cfg.levels)
        h = self.from_latent(z).view(-1, top, 4, 4)
        return torch.tanh(self.decoder(h))

    def sample_latents(self, n: int, seed: int) -> torch.Tensor:
        """Latents for ``seed``: standard normal draws shaped by the sampling Gaussian."""
        u = seeded_normal(n, self.cfg.latent_dim, seed)
        return self.prior_mean.cpu() + u @ self.prior_scale.cpu().T

    def set_prior(self, mean: torch.Tensor, scale: torch.Tensor) -> None:
        """Sample from N(mean, scale·scaleᵀ) from now on (``scale`` lower-triangular)."""
        self.prior_mean.copy_(mean)
        self.prior_scale.copy_(scale)

    def sample(self, n: int, seed: int, truncation: float = 1.0) -> torch.Tensor:
        return self.decode(self.sample_latents(n, seed), truncation)

    def forward(
        self, images: torch.Tensor, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Training forward: reconstruction, mean and log-variance (reparameterised)."""
        mu, logvar = self.encode_stats(images)
        eps = torch.randn(mu.shape, generator=generator, device="cpu").to(mu.device)
        z = mu + eps * torch.exp(0.5 * logvar)
        return self.decode(z), mu, logvar
