"""Benchmark the GAN training step against a textbook DCGAN loop, and our overhead.

Prints JSON:
- images/s of our full training step (data, augmentation, R1, EMA) and of a plain
  DCGAN loop (Radford et al.) written here, at the same resolution and batch, with its
  width chosen so the parameter counts (G + D) match ours;
- the ratio of our step time per image to the reference's;
- our overhead: time in data loading, augmentation and logging as a share of the step.

    python bench/train.py [--steps 20] [--batch 32] [--channel-base 1024]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from studio.training.augment import Draw, diff_augment, random_flip
from studio.training.dataset import FolderData
from studio.training.gan_trainer import GANTrainer
from studio.training.run import Run, TrainConfig, step_generator


def dcgan(width: int, res: int = 64) -> tuple[nn.Module, nn.Module]:
    """The DCGAN generator and discriminator for 64×64 images."""
    nz = 128
    g = nn.Sequential(
        nn.ConvTranspose2d(nz, width * 8, 4, 1, 0, bias=False),
        nn.BatchNorm2d(width * 8),
        nn.ReLU(True),
        nn.ConvTranspose2d(width * 8, width * 4, 4, 2, 1, bias=False),
        nn.BatchNorm2d(width * 4),
        nn.ReLU(True),
        nn.ConvTranspose2d(width * 4, width * 2, 4, 2, 1, bias=False),
        nn.BatchNorm2d(width * 2),
        nn.ReLU(True),
        nn.ConvTranspose2d(width * 2, width, 4, 2, 1, bias=False),
        nn.BatchNorm2d(width),
        nn.ReLU(True),
        nn.ConvTranspose2d(width, 3, 4, 2, 1, bias=False),
        nn.Tanh(),
    )
    d = nn.Sequential(
        nn.Conv2d(3, width, 4, 2, 1, bias=False),
        nn.LeakyReLU(0.2, True),
        nn.Conv2d(width, width * 2, 4, 2, 1, bias=False),
        nn.BatchNorm2d(width * 2),
        nn.LeakyReLU(0.2, True),
        nn.Conv2d(width * 2, width * 4, 4, 2, 1, bias=False),
        nn.BatchNorm2d(width * 4),
        nn.LeakyReLU(0.2, True),
        nn.Conv2d(width * 4, width * 8, 4, 2, 1, bias=False),
        nn.BatchNorm2d(width * 8),
        nn.LeakyReLU(0.2, True),
        nn.Conv2d(width * 8, 1, 4, 1, 0, bias=False),
        nn.Flatten(),
    )
    return g, d


def params(*modules: nn.Module) -> int:
    return sum(p.numel() for m in modules for p in m.parameters())


def reference_step_times(width: int, batch: int, steps: int, real: torch.Tensor) -> list[float]:
    g, d = dcgan(width)
    opt_g = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    ones, zeros = torch.ones(batch, 1), torch.zeros(batch, 1)
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        z = torch.randn(batch, 128, 1, 1)
        fake = g(z)
        loss_d = bce(d(real), ones) + bce(d(fake.detach()), zeros)
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        loss_g = bce(d(fake), ones)
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        times.append(time.perf_counter() - t0)
    return times[2:]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--channel-base", type=int, default=1024)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (512, 64, 64, 3), dtype=np.uint8)
    data = FolderData(images, [f"{i}.png" for i in range(len(images))])
    cfg = TrainConfig(
        kind="gan",
        data=".",
        batch=args.batch,
        model={"resolution": 64, "channel_base": args.channel_base},
    )
    trainer = GANTrainer(cfg, data, torch.device("cpu"))
    ours = params(trainer.G, trainer.D)
    # DCGAN width with the closest parameter count to ours.
    width = min(range(8, 129), key=lambda w: abs(params(*dcgan(w)) - ours))
    real = torch.from_numpy(images[: args.batch]).permute(0, 3, 1, 2).float() / 127.5 - 1

    step_t, data_t, aug_t, log_t = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        run = Run(Path(tmp))
        run.path.mkdir(exist_ok=True)
        for step in range(args.steps + 2):
            t0 = time.perf_counter()
            trainer.train_step(step, step_generator(0, step))
            t1 = time.perf_counter()
            run.log({"step": step, "loss": 0.0})
            t2 = time.perf_counter()
            if step >= 2:
                step_t.append(t2 - t0)
                log_t.append(t2 - t1)
            # The same data and augmentation work, timed on their own.
            gen = Draw(step_generator(0, step))
            t3 = time.perf_counter()
            x = random_flip(trainer.batch(step), gen)
            t4 = time.perf_counter()
            calls = 3 + (1 if step % cfg.r1_every == 0 else 0)
            for _ in range(calls):
                diff_augment(x, cfg.augment, gen, trainer.strength)
            t5 = time.perf_counter()
            if step >= 2:
                data_t.append(t4 - t3)
                aug_t.append(t5 - t4)
    ref_t = reference_step_times(width, args.batch, args.steps + 2, real)
    ours_step = statistics.median(step_t)
    ref_step = statistics.median(ref_t)
    overhead = statistics.median(data_t) + statistics.median(aug_t) + statistics.median(log_t)
    print(
        json.dumps(
            {
                "batch": args.batch,
                "threads": torch.get_num_threads(),
                "ours_parameters": ours,
                "reference_dcgan_width": width,
                "reference_parameters": params(*dcgan(width)),
                "ours_images_per_s": round(args.batch / ours_step, 1),
                "reference_images_per_s": round(args.batch / ref_step, 1),
                "step_time_ratio_ours_to_reference": round(ours_step / ref_step, 3),
                "overhead_share_of_step": round(overhead / ours_step, 4),
                "overhead_ms": {
                    "data": round(statistics.median(data_t) * 1000, 2),
                    "augmentation": round(statistics.median(aug_t) * 1000, 2),
                    "logging": round(statistics.median(log_t) * 1000, 2),
                },
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
