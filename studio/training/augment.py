"""Differentiable augmentation for small data (DiffAugment: colour, translation, cutout).

Every random number comes from a ``torch.Generator`` passed in, so a training step is a
pure function of (weights, step seed) and resuming after a kill repeats it exactly.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

POLICIES = ("color", "translation", "cutout")


def _rand(gen: torch.Generator, *shape: int, device: torch.device) -> torch.Tensor:
    return torch.rand(*shape, generator=gen).to(device)


def color(x: torch.Tensor, gen: torch.Generator, strength: float = 1.0) -> torch.Tensor:
    """Random brightness, saturation and contrast per image."""
    n, dev = x.shape[0], x.device
    x = x + (_rand(gen, n, 1, 1, 1, device=dev) - 0.5) * strength
    mean = x.mean(dim=1, keepdim=True)
    x = (x - mean) * (1 + (_rand(gen, n, 1, 1, 1, device=dev) * 2 - 1) * strength) + mean
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (1 + (_rand(gen, n, 1, 1, 1, device=dev) - 0.5) * strength) + mean


def translation(x: torch.Tensor, gen: torch.Generator, ratio: float = 0.125) -> torch.Tensor:
    """Shift each image by up to ``ratio`` of its size, filling with zeros (mid-grey)."""
    n, _, h, w = x.shape
    shift = (_rand(gen, n, 2, device=x.device) * 2 - 1) * ratio * 2  # in [-1, 1] grid units
    shift = torch.round(shift * torch.tensor([w / 2, h / 2], device=x.device)) / torch.tensor(
        [w / 2, h / 2], device=x.device
    )
    theta = torch.zeros(n, 2, 3, device=x.device, dtype=x.dtype)
    theta[:, 0, 0] = 1
    theta[:, 1, 1] = 1
    theta[:, :, 2] = shift.to(x.dtype)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="nearest", padding_mode="zeros", align_corners=False)


def cutout(x: torch.Tensor, gen: torch.Generator, ratio: float = 0.5) -> torch.Tensor:
    """Zero a random square of ``ratio`` × the image size in each image."""
    n, _, h, w = x.shape
    ch, cw = max(1, int(h * ratio + 0.5)), max(1, int(w * ratio + 0.5))
    y0 = (_rand(gen, n, 1, 1, device=x.device) * (h - ch + 1)).long()
    x0 = (_rand(gen, n, 1, 1, device=x.device) * (w - cw + 1)).long()
    ys = torch.arange(h, device=x.device)[None, :, None]
    xs = torch.arange(w, device=x.device)[None, None, :]
    inside = (ys >= y0) & (ys < y0 + ch) & (xs >= x0) & (xs < x0 + cw)
    return x * (~inside).unsqueeze(1).to(x.dtype)


def diff_augment(
    x: torch.Tensor, policy: str, gen: torch.Generator, strength: float = 1.0
) -> torch.Tensor:
    """Apply the comma-separated ``policy`` (e.g. ``"color,translation,cutout"``).

    ``strength`` in [0, 1] scales colour change and the translation/cutout sizes; it is
    what an adaptive schedule raises when the discriminator starts to overfit.
    """
    if not policy or strength <= 0:
        return x
    for name in policy.split(","):
        name = name.strip()
        if name == "color":
            x = color(x, gen, strength)
        elif name == "translation":
            x = translation(x, gen, 0.125 * strength)
        elif name == "cutout":
            x = cutout(x, gen, 0.5 * strength)
        elif name:
            raise ValueError(f"Unknown augmentation {name!r}; known: {', '.join(POLICIES)}.")
    return x


def random_flip(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Mirror a random half of the batch left-to-right."""
    flip = _rand(gen, x.shape[0], device=x.device) < 0.5
    return torch.where(flip[:, None, None, None], x.flip(3), x)
