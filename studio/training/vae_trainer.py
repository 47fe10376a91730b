"""VAE training: Gaussian reconstruction loss plus β-weighted KL with a warm-up."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import torch

from studio.models.vae import ConvVAE, VAEConfig
from studio.training.augment import Draw, random_flip
from studio.training.dataset import to_tensor, to_uint8
from studio.training.finetune import load_start_weights
from studio.training.loop import SingleModelTrainer, preview_grid, sync_gradients
from studio.training.run import make_optimizer

PREVIEW_COUNT = 16


def psnr(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-image PSNR in dB for images in [-1, 1] (measured on the [0, 1] scale)."""
    mse = ((a.float() - b.float()) / 2).square().flatten(1).mean(1).clamp_min(1e-10)
    return 10 * torch.log10(1.0 / mse)


class VAETrainer(SingleModelTrainer):
    """Trains a :class:`ConvVAE`; previews show originals above their reconstructions."""

    model: ConvVAE

    def setup(self) -> None:
        cfg, data, device = self.cfg, self.data, self.device
        fields = {"beta": cfg.beta, **cfg.model}
        start = load_start_weights(cfg.init_from, "vae") if cfg.init_from else None
        if start is not None:
            fields = {**start.config, "beta": cfg.beta}
        self.vcfg = VAEConfig(**fields)
        self.model = ConvVAE(self.vcfg).to(device)
        if start is not None:
            start.apply(self.model)
        self.opt = make_optimizer(
            self.model.parameters(), cfg.optimizer, cfg.learning_rate, (0.9, 0.999)
        )
        pick = np.linspace(0, len(data) - 1, PREVIEW_COUNT).astype(int)
        self.preview_real = to_tensor(data.images[pick]).to(device)

    def train_step(self, step: int, gen: torch.Generator) -> dict[str, float]:
        self.model.train()
        rng = Draw(gen, self.rank, self.world)
        x = random_flip(self.batch(step), rng)
        mu, logvar = self.model.encode_stats(x)
        eps = rng.normal(x.shape[0], mu.shape[1], device=mu.device)
        recon = self.model.decode(mu + eps * torch.exp(0.5 * logvar))
        rec = (recon - x).square().flatten(1).sum(1).mean()
        kl = (0.5 * (mu.square() + logvar.exp() - 1 - logvar)).sum(1).mean()
        warm = min(1.0, (step + 1) / max(1, self.cfg.kl_warmup))
        loss = rec + self.vcfg.beta * warm * kl
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        sync_gradients(self.model, self.world)
        self.opt.step()
        mse = float(rec.detach()) / x[0].numel()
        return {
            "loss": float(loss.detach()),
            "recon": float(rec.detach()),
            "kl": float(kl.detach()),
            "psnr": 10 * math.log10(4.0 / max(mse, 1e-10)),
        }

    @torch.no_grad()
    def _reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        self.model.eval()
        return self.model.decode(self.model.encode(x))

    def preview(self) -> np.ndarray:
        recon = self._reconstruct(self.preview_real)
        both = torch.cat([self.preview_real, recon])
        return preview_grid(to_uint8(both), columns=PREVIEW_COUNT // 2)

    def metrics(self) -> dict[str, float]:
        return {
            "preview_psnr": round(
                float(psnr(self._reconstruct(self.preview_real), self.preview_real).mean()), 3
            )
        }

    @property
    def model_config(self) -> dict[str, Any]:
        return dataclasses.asdict(self.vcfg)
