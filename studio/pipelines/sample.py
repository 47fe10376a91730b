"""Sampling: seeds → latents → images, batched, deterministic, cancellable."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from studio.models.checkpoint import LoadedModel
from studio.pipelines.cancel import CancelToken

Progress = Callable[[float], None]


@dataclass(frozen=True)
class GenerateRequest:
    """``count`` images from ``seed``: image i uses latent row i of that seed's draw."""

    count: int
    seed: int
    truncation: float = 1.0
    batch: int = 64


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """float (N, 3, H, W) in [-1, 1] → uint8 (N, H, W, 3) numpy."""
    x = ((images.detach().float().clamp(-1, 1) + 1) * 127.5).round()
    return x.to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()


@torch.inference_mode()
def generate_images(
    model: LoadedModel,
    req: GenerateRequest,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> np.ndarray:
    """uint8 (count, R, R, 3) images for ``req``; same request, same pixels."""
    module = model.module
    latents = module.sample_latents(req.count, req.seed)  # type: ignore[operator]
    out = []
    for start in range(0, req.count, req.batch):
        if cancel is not None:
            cancel.check()
        chunk = latents[start : start + req.batch]
        out.append(to_uint8(module.decode(chunk, req.truncation)))  # type: ignore[operator]
        if progress:
            progress(min(1.0, (start + len(chunk)) / req.count))
    return np.concatenate(out)
