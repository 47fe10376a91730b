"""GAN training: non-saturating loss with lazy R1, DiffAugment, style mixing, EMA."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from studio.models.gan import Discriminator, GANConfig, StyleGenerator
from studio.training.augment import diff_augment, random_flip
from studio.training.dataset import FolderData, to_uint8
from studio.training.loop import Trainer, preview_grid
from studio.training.run import TrainConfig

PREVIEW_SEED = 12345
PREVIEW_COUNT = 32


def pairwise_diversity(images: torch.Tensor) -> float:
    """Mean pairwise RMS distance between images (in [-1, 1] units): low means collapse."""
    flat = images.flatten(1).float()
    d = torch.cdist(flat, flat) / flat.shape[1] ** 0.5
    n = flat.shape[0]
    return float(d.sum() / (n * (n - 1)))


class GANTrainer(Trainer):
    """Trains a :class:`StyleGenerator` against a :class:`Discriminator`."""

    def __init__(self, cfg: TrainConfig, data: FolderData, device: torch.device) -> None:
        super().__init__(cfg, data, device)
        torch.manual_seed(cfg.seed)  # initial weights are a function of the seed
        self.gcfg = GANConfig(**cfg.model)
        self.G = StyleGenerator(self.gcfg).to(device)
        self.D = Discriminator(self.gcfg).to(device)
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False)
        lr = cfg.learning_rate
        # Lazy R1 runs every r1_every steps; adjust D's Adam as StyleGAN2 does.
        ratio = cfg.r1_every / (cfg.r1_every + 1)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=lr, betas=(0.0, 0.99), eps=1e-8)
        self.opt_d = torch.optim.Adam(
            self.D.parameters(), lr=lr * ratio, betas=(0.0, 0.99**ratio), eps=1e-8
        )
        self.preview_z = self.G.sample_latents(PREVIEW_COUNT, PREVIEW_SEED).to(device)

    def _augment(self, x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        return diff_augment(x, self.cfg.augment, gen, self.cfg.augment_strength)

    def _fake(self, gen: torch.Generator) -> torch.Tensor:
        n, zd = self.cfg.batch, self.gcfg.z_dim
        z = torch.randn(n, zd, generator=gen).to(self.device)
        mix_z, cutoff = None, 0
        if torch.rand((), generator=gen).item() < self.cfg.style_mix:
            mix_z = torch.randn(n, zd, generator=gen).to(self.device)
            cutoff = int(torch.randint(1, self.G.num_ws, (), generator=gen))
        return self.G(z, mix_z, cutoff)

    def train_step(self, step: int, gen: torch.Generator) -> dict[str, float]:
        cfg = self.cfg
        real = random_flip(self.batch(step), gen)

        # Discriminator: real up, fake down (non-saturating logistic loss).
        self.G.requires_grad_(False)
        self.D.requires_grad_(True)
        with torch.no_grad():
            fake = self._fake(gen)
        d_real = self.D(self._augment(real, gen))
        d_fake = self.D(self._augment(fake, gen))
        loss_d = F.softplus(d_fake).mean() + F.softplus(-d_real).mean()
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()

        r1 = 0.0
        if cfg.r1_gamma > 0 and step % cfg.r1_every == 0:
            real_r1 = self._augment(real, gen).detach().requires_grad_(True)
            (grad,) = torch.autograd.grad(self.D(real_r1).sum(), real_r1, create_graph=True)
            penalty = grad.square().sum(dim=(1, 2, 3)).mean()
            self.opt_d.zero_grad(set_to_none=True)
            (penalty * (cfg.r1_gamma / 2) * cfg.r1_every).backward()
            self.opt_d.step()
            r1 = float(penalty.detach())

        # Generator: make D call fakes real.
        self.G.requires_grad_(True)
        self.D.requires_grad_(False)
        fake = self._fake(gen)
        loss_g = F.softplus(-self.D(self._augment(fake, gen))).mean()
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()

        self._update_ema(step)
        return {
            "loss_d": float(loss_d),
            "loss_g": float(loss_g),
            "r1": r1,
            "d_real_sign": float(torch.sign(d_real.detach()).mean()),
        }

    @torch.no_grad()
    def _update_ema(self, step: int) -> None:
        seen = (step + 1) * self.cfg.batch
        half_life = min(self.cfg.ema_kimg * 1000, seen * 0.05) or 1.0
        beta = 0.5 ** (self.cfg.batch / half_life)
        for p_ema, p in zip(self.G_ema.parameters(), self.G.parameters(), strict=True):
            p_ema.lerp_(p.detach(), 1 - beta)
        for b_ema, b in zip(self.G_ema.buffers(), self.G.buffers(), strict=True):
            b_ema.copy_(b)

    @torch.no_grad()
    def _preview_images(self) -> torch.Tensor:
        return self.G_ema.decode(self.preview_z)

    def preview(self) -> np.ndarray:
        return preview_grid(to_uint8(self._preview_images()))

    def metrics(self) -> dict[str, float]:
        return {"diversity": round(pairwise_diversity(self._preview_images()), 5)}

    def state_dict(self) -> dict[str, Any]:
        return {
            "G": self.G.state_dict(),
            "D": self.D.state_dict(),
            "G_ema": self.G_ema.state_dict(),
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        self.G_ema.load_state_dict(state["G_ema"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])

    def export_module(self) -> torch.nn.Module:
        """The module a shipped checkpoint holds: the EMA generator."""
        return self.G_ema
