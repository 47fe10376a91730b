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
    label: int | None = None  # class index, for class-conditional models
    # Start at row ``offset`` of the seed's draw (part of a larger request, as a
    # recipe's grid position names it); rows never depend on how many are drawn.
    offset: int = 0


def num_classes(model: LoadedModel) -> int:
    """How many classes a conditional model has (0 for unconditional models)."""
    return int(getattr(getattr(model.module, "cfg", None), "num_classes", 0))


def class_labels(model: LoadedModel, n: int, label: int | None) -> torch.Tensor | None:
    """Labels for ``n`` images of a conditional model (class 0 if none chosen), else None."""
    classes = num_classes(model)
    if not classes:
        return None
    index = 0 if label is None else int(label)
    if not 0 <= index < classes:
        raise ValueError(f"Class {index} does not exist; this model has {classes} classes.")
    return torch.full((n,), index, dtype=torch.long)


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
    drawn = module.sample_latents(req.offset + req.count, req.seed)  # type: ignore[operator]
    latents = drawn[req.offset :]
    out = []
    for start in range(0, req.count, req.batch):
        if cancel is not None:
            cancel.check()
        chunk = latents[start : start + req.batch]
        labels = class_labels(model, len(chunk), req.label)
        if labels is None:
            images = module.decode(chunk, req.truncation)  # type: ignore[operator]
        else:
            images = module.decode(chunk, req.truncation, labels)  # type: ignore[operator]
        out.append(to_uint8(images))
        if progress:
            progress(min(1.0, (start + len(chunk)) / req.count))
    return np.concatenate(out)
