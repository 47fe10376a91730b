"""Differentiable augmentation for small data (DiffAugment: colour, translation, cutout,
plus small rotations), applied alike to real and generated images so it never leaks
into what the generator learns.

Every random number comes from a ``torch.Generator`` passed in, so a training step is a
pure function of (weights, step seed) and resuming after a kill repeats it exactly. With
several processes, each draws the whole global batch's numbers and keeps its own rows,
so N processes see exactly what one process would.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

POLICIES = ("color", "translation", "cutout", "rotate")


@dataclass(frozen=True)
class Draw:
    """A step's random stream, sharded like the batch: rows ``rank::world``."""

    gen: torch.Generator
    rank: int = 0
    world: int = 1

    def uniform(self, n: int, *shape: int, device: torch.device | str = "cpu") -> torch.Tensor:
        t = torch.rand(n * self.world, *shape, generator=self.gen)
        return t[self.rank :: self.world].to(device)

    def normal(self, n: int, *shape: int, device: torch.device | str = "cpu") -> torch.Tensor:
        t = torch.randn(n * self.world, *shape, generator=self.gen)
        return t[self.rank :: self.world].to(device)

    def integers(self, high: int, n: int, device: torch.device | str = "cpu") -> torch.Tensor:
        t = torch.randint(0, high, (n * self.world,), generator=self.gen)
        return t[self.rank :: self.world].to(device)

    def scalar(self) -> float:
        """One number shared by every process (e.g. whether to mix styles this step)."""
        return float(torch.rand((), generator=self.gen))


def as_draw(gen: torch.Generator | Draw) -> Draw:
    return gen if isinstance(gen, Draw) else Draw(gen)


def color(x: torch.Tensor, gen: torch.Generator | Draw, strength: float = 1.0) -> torch.Tensor:
    """Random brightness, saturation and contrast per image."""
    rng, n, dev = as_draw(gen), x.shape[0], x.device
    x = x + (rng.uniform(n, 1, 1, 1, device=dev) - 0.5) * strength
    mean = x.mean(dim=1, keepdim=True)
    x = (x - mean) * (1 + (rng.uniform(n, 1, 1, 1, device=dev) * 2 - 1) * strength) + mean
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (1 + (rng.uniform(n, 1, 1, 1, device=dev) - 0.5) * strength) + mean


def _affine(x: torch.Tensor, theta: torch.Tensor, mode: str) -> torch.Tensor:
    grid = F.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode=mode, padding_mode="zeros", align_corners=False)


def translation(x: torch.Tensor, gen: torch.Generator | Draw, ratio: float = 0.125) -> torch.Tensor:
    """Shift each image by up to ``ratio`` of its size, filling with zeros (mid-grey)."""
    rng, (n, _, h, w) = as_draw(gen), x.shape
    shift = (rng.uniform(n, 2, device=x.device) * 2 - 1) * ratio * 2  # in grid units
    half = torch.tensor([w / 2, h / 2], device=x.device)
    shift = torch.round(shift * half) / half  # whole pixels
    theta = torch.zeros(n, 2, 3, device=x.device)
    theta[:, 0, 0] = 1
    theta[:, 1, 1] = 1
    theta[:, :, 2] = shift
    return _affine(x, theta, "nearest")


def rotate(x: torch.Tensor, gen: torch.Generator | Draw, degrees: float = 10.0) -> torch.Tensor:
    """Rotate each image by up to ±``degrees`` (bilinear)."""
    rng, n = as_draw(gen), x.shape[0]
    angle = (rng.uniform(n, device=x.device) * 2 - 1) * math.radians(degrees)
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.zeros(n, 2, 3, device=x.device)
    theta[:, 0, 0], theta[:, 0, 1] = cos, -sin
    theta[:, 1, 0], theta[:, 1, 1] = sin, cos
    return _affine(x, theta, "bilinear")


def cutout(x: torch.Tensor, gen: torch.Generator | Draw, ratio: float = 0.5) -> torch.Tensor:
    """Zero a random square of ``ratio`` × the image size in each image."""
    rng, (n, _, h, w) = as_draw(gen), x.shape
    ch, cw = max(1, int(h * ratio + 0.5)), max(1, int(w * ratio + 0.5))
    y0 = (rng.uniform(n, 1, 1, device=x.device) * (h - ch + 1)).long()
    x0 = (rng.uniform(n, 1, 1, device=x.device) * (w - cw + 1)).long()
    ys = torch.arange(h, device=x.device)[None, :, None]
    xs = torch.arange(w, device=x.device)[None, None, :]
    inside = (ys >= y0) & (ys < y0 + ch) & (xs >= x0) & (xs < x0 + cw)
    return x * (~inside).unsqueeze(1).to(x.dtype)


def diff_augment(
    x: torch.Tensor, policy: str, gen: torch.Generator | Draw, strength: float = 1.0
) -> torch.Tensor:
    """Apply the comma-separated ``policy`` (e.g. ``"color,translation,cutout"``).

    ``strength`` in [0, 1] scales colour change, shift, rotation and cutout size; it is
    what the set-size default and the adaptive (ADA-style) schedule set.
    """
    if not policy or strength <= 0:
        return x
    for name in policy.split(","):
        name = name.strip()
        if name == "color":
            x = color(x, gen, strength)
        elif name == "translation":
            x = translation(x, gen, 0.125 * strength)
        elif name == "rotate":
            x = rotate(x, gen, 10.0 * strength)
        elif name == "cutout":
            x = cutout(x, gen, 0.5 * strength)
        elif name:
            raise ValueError(f"Unknown augmentation {name!r}; known: {', '.join(POLICIES)}.")
    return x


def random_flip(x: torch.Tensor, gen: torch.Generator | Draw) -> torch.Tensor:
    """Mirror a random half of the batch left-to-right."""
    flip = as_draw(gen).uniform(x.shape[0], device=x.device) < 0.5
    return torch.where(flip[:, None, None, None], x.flip(3), x)


def strength_for_set_size(n: int) -> float:
    """Default augmentation strength: small sets need more to keep D from memorising."""
    if n < 500:
        return 1.0
    if n < 2000:
        return 0.75
    if n < 10_000:
        return 0.5
    return 0.25


class AdaptiveStrength:
    """ADA-style: raise augmentation while D is too sure about reals, lower it after.

    The overfitting signal is E[sign(D(real))] over recent steps; above ``target`` the
    strength rises by ``speed`` per update, below it falls.
    """

    def __init__(self, start: float, target: float = 0.6, speed: float = 0.005) -> None:
        self.p = start
        self.target = target
        self.speed = speed
        self._signs: list[float] = []

    def update(self, d_real_sign: float, every: int = 4) -> float:
        self._signs.append(d_real_sign)
        if len(self._signs) >= every:
            rt = sum(self._signs) / len(self._signs)
            self._signs.clear()
            self.p = min(1.0, max(0.0, self.p + math.copysign(self.speed, rt - self.target)))
        return self.p
