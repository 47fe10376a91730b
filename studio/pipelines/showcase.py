"""The showcase seed: the picture a model opens on, chosen by measurement.

Seed 0 is as likely to be a blob as anything. Instead, seeds ``0 … count-1`` are each
rendered exactly as the window renders a seed (truncation 1, no edits), embedded with
our feature network (``studio-features``), and scored by how typical they are:

- with the model's training images (``real``): the mean cosine distance from a sample
  to its ``k`` nearest real images in feature space (low = it looks like the data);
- without them: the mean distance to its ``k`` nearest fellow samples (low = it sits
  where the model puts most of its pictures).

The seed with the lowest score wins; the model file keeps it as ``default_seed``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from studio.models.checkpoint import LoadedModel
from studio.pipelines.cancel import CancelToken
from studio.pipelines.metrics import extract
from studio.pipelines.render import Recipe, render_image

DEFAULT_COUNT = 300
DEFAULT_K = 5


@dataclass(frozen=True, eq=False)
class Showcase:
    """The measured seeds, best first."""

    seeds: np.ndarray  # (N,) int, ordered by score (best first)
    scores: np.ndarray  # (N,) the score of each, same order
    images: np.ndarray  # (N, R, R, 3) uint8, same order
    method: str  # how they were scored, in words

    @property
    def best(self) -> int:
        return int(self.seeds[0])

    def summary(self, features: str, model_name: str) -> dict[str, object]:
        """What the model file records about the choice."""
        return {
            "seed": self.best,
            "seeds_tried": len(self.seeds),
            "method": self.method,
            "features": features,
            "score": round(float(self.scores[0]), 5),
            "median_score": round(float(np.median(self.scores)), 5),
            "model": model_name,
        }


def render_seeds(
    model: LoadedModel,
    count: int,
    progress: Callable[[float], None] | None = None,
    cancel: CancelToken | None = None,
) -> np.ndarray:
    """uint8 (count, R, R, 3): seed ``i`` as the window shows it on its own."""
    images = []
    for seed in range(count):
        if cancel is not None:
            cancel.check()
        images.append(render_image(model, Recipe(model.name, seed)))
        if progress is not None:
            progress((seed + 1) / count)
    return np.stack(images)


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def knn_distance(query: np.ndarray, ref: np.ndarray, k: int, same: bool = False) -> np.ndarray:
    """Mean cosine distance from each ``query`` row to its ``k`` nearest ``ref`` rows
    (``same``: ``ref`` is ``query``, so each row's distance to itself is left out)."""
    d = 1.0 - _unit(query) @ _unit(ref).T
    if same:
        np.fill_diagonal(d, np.inf)
    k = max(1, min(k, d.shape[1] - (1 if same else 0)))
    return np.sort(d, axis=1)[:, :k].mean(axis=1)


def typicality(
    fake: np.ndarray, real: np.ndarray | None = None, k: int = DEFAULT_K
) -> tuple[np.ndarray, str]:
    """(score per sample, lower is more typical; the method in words)."""
    if real is not None and len(real):
        method = (
            f"mean cosine distance to the {min(k, len(real))} nearest of {len(real)} real images"
        )
        return knn_distance(fake, real, k), method
    method = f"mean cosine distance to the {k} nearest of the other samples"
    return knn_distance(fake, fake, k, same=True), method


def choose_seed(
    model: LoadedModel,
    net: LoadedModel,
    real_images: np.ndarray | None = None,
    count: int = DEFAULT_COUNT,
    k: int = DEFAULT_K,
    progress: Callable[[float], None] | None = None,
    cancel: CancelToken | None = None,
) -> Showcase:
    """Render seeds ``0 … count-1`` of ``model`` and rank them (see the module docstring)."""
    if count < 2:
        raise ValueError("Choosing a seed needs at least 2 seeds to compare.")

    def part(lo: float, hi: float) -> Callable[[float], None] | None:
        return None if progress is None else (lambda p: progress(lo + (hi - lo) * p))

    images = render_seeds(model, count, part(0.0, 0.8), cancel)
    fake, _ = extract(net, images, progress=part(0.8, 0.9), cancel=cancel)
    real = None
    if real_images is not None and len(real_images):
        real, _ = extract(net, real_images, progress=part(0.9, 1.0), cancel=cancel)
    scores, method = typicality(fake, real, k)
    order = np.argsort(scores, kind="stable")
    return Showcase(order.astype(np.int64), scores[order], images[order], method)
