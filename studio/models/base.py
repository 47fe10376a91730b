"""What every generative model offers the rest of the studio."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch


@runtime_checkable
class Generative(Protocol):
    """The common sampling interface of GANs and VAEs.

    Images are float tensors (N, 3, H, W) in [-1, 1]; latents are (N, latent_size).
    """

    latent_size: int
    resolution: int

    def sample_latents(self, n: int, seed: int) -> torch.Tensor: ...

    def decode(self, latents: torch.Tensor, truncation: float = 1.0) -> torch.Tensor: ...

    def sample(self, n: int, seed: int, truncation: float = 1.0) -> torch.Tensor: ...


def seeded_normal(n: int, dim: int, seed: int) -> torch.Tensor:
    """Standard normal latents drawn on the CPU from ``seed``.

    Drawn on the CPU whatever the device, so a seed names the same latent on every
    machine; the caller moves it to the model's device.
    """
    gen = torch.Generator(device="cpu").manual_seed(int(seed) & 0xFFFF_FFFF_FFFF_FFFF)
    # torch's CPU sampler fills blocks of 16 values (and small draws differently), so
    # draw rows padded to a multiple of 16: then the first rows of a draw never depend
    # on how many rows were drawn. For dims that are multiples of 16 nothing changes.
    padded = -(-dim // 16) * 16
    return torch.randn(n, padded, generator=gen)[:, :dim].contiguous()


def model_device(module: torch.nn.Module) -> torch.device:
    """The device of a module's first parameter (CPU for a parameterless module)."""
    for p in module.parameters():
        return p.device
    return torch.device("cpu")
