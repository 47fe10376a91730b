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


def class_weights(counts: object, classes: int) -> list[float]:
    """How often each of ``classes`` classes should come up: ``counts`` (a model file's
    training images per class) when it is a list of that many non-negative numbers, else
    equal weights."""
    if (
        isinstance(counts, list)
        and len(counts) == classes
        and all(isinstance(c, int | float) and not isinstance(c, bool) and c >= 0 for c in counts)
        and sum(counts) > 0
    ):
        return [float(c) for c in counts]
    return [1.0] * classes


def seed_classes(seed: int, weights: list[float], start: int, count: int) -> np.ndarray:
    """The classes "any class" gives rows ``start``…``start + count - 1`` of ``seed``'s
    draw, each class as likely as its weight. Each row has its own seeded draw, so a
    row's class, like its latent, never depends on how many rows were drawn."""
    seed = int(seed) & 0xFFFF_FFFF_FFFF_FFFF
    edges = np.cumsum(np.asarray(weights, dtype=np.float64))
    rows = range(start, start + count)
    # The constant keeps these draws apart from any other use of (seed, row).
    draws = [np.random.default_rng([seed, row, 0xC1A55]).random() * edges[-1] for row in rows]
    # side="right": a class of weight 0 owns an empty interval and is never drawn.
    return np.searchsorted(edges, np.array(draws), side="right").astype(np.int64)


def class_labels(
    model: LoadedModel, n: int, label: int | None, seed: int = 0, offset: int = 0
) -> torch.Tensor | None:
    """Labels for ``n`` images of a conditional model (None for unconditional ones): the
    class ``label``, or with no label each row's class drawn from ``seed`` (rows
    ``offset``… of its draw) in the shares of the model's training data, so that a seed
    alone names one image of one class and the mix looks like what the model learnt."""
    classes = num_classes(model)
    if not classes:
        return None
    if label is None:
        weights = class_weights(model.meta.get("class_counts"), classes)
        return torch.from_numpy(seed_classes(seed, weights, offset, n))
    index = int(label)
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
        labels = class_labels(model, len(chunk), req.label, req.seed, req.offset + start)
        if labels is None:
            images = module.decode(chunk, req.truncation)  # type: ignore[operator]
        else:
            images = module.decode(chunk, req.truncation, labels)  # type: ignore[operator]
        out.append(to_uint8(images))
        if progress:
            progress(min(1.0, (start + len(chunk)) / req.count))
    return np.concatenate(out)
