"""Interpretable latent directions: PCA over sampled w (GANSpace) or over VAE codes.

A direction set is (mean, components k×D, stds k): slider value v on component i moves
the latent by v·std_i·component_i, so ±3 spans the range the model was trained on.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from studio.models.checkpoint import LoadedModel
from studio.pipelines.cancel import CancelToken
from studio.pipelines.sample import Progress, class_labels

DEFAULT_K = 12
DEFAULT_SAMPLES = 10_000


@dataclass(frozen=True, eq=False)
class Directions:
    """Principal directions of a latent space."""

    mean: np.ndarray  # (D,)
    components: np.ndarray  # (k, D), unit rows
    stds: np.ndarray  # (k,)
    space: str  # "w" for GANs, "z" for VAEs

    @property
    def k(self) -> int:
        return int(self.components.shape[0])

    def offset(self, values: tuple[float, ...] | list[float]) -> np.ndarray:
        """The latent displacement for slider ``values`` (missing values count as 0)."""
        v = np.zeros(self.k, dtype=np.float32)
        n = min(len(values), self.k)
        v[:n] = np.asarray(values[:n], dtype=np.float32)
        return (v * self.stds) @ self.components

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        np.savez(
            buf,
            mean=self.mean,
            components=self.components,
            stds=self.stds,
            space=np.array(self.space),
        )
        return buf.getvalue()

    @staticmethod
    def from_file(path: Path) -> Directions:
        with np.load(path, allow_pickle=False) as f:
            return Directions(
                f["mean"].astype(np.float32),
                f["components"].astype(np.float32),
                f["stds"].astype(np.float32),
                str(f["space"]),
            )


def pca(x: np.ndarray, k: int, space: str) -> Directions:
    """Top-``k`` principal components of rows of ``x``, sign-fixed for stable sliders."""
    x = x.astype(np.float64)
    mean = x.mean(0)
    centred = x - mean
    # Eigen-decomposition of the D×D covariance: the same components as an SVD of the
    # N×D data, but ~30× faster for 10,000 samples (no N-sized factor).
    cov = centred.T @ centred / max(1, x.shape[0] - 1)
    values, vectors = np.linalg.eigh(cov)
    order = np.argsort(values)[::-1]
    k = min(k, len(order))
    comps = vectors[:, order[:k]].T
    # Eigenvector signs are arbitrary; fix them so a model always gives the same sliders.
    signs = np.sign(comps[np.arange(k), np.abs(comps).argmax(1)])
    comps = comps * signs[:, None]
    stds = np.sqrt(np.clip(values[order[:k]], 0, None))
    return Directions(
        mean.astype(np.float32), comps.astype(np.float32), stds.astype(np.float32), space
    )


@torch.inference_mode()
def gan_directions(
    model: LoadedModel,
    k: int = DEFAULT_K,
    samples: int = DEFAULT_SAMPLES,
    seed: int = 0,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> Directions:
    """GANSpace: PCA over the w of ``samples`` random z."""
    module = model.module
    ws = []
    batch = 1000
    for start in range(0, samples, batch):
        if cancel is not None:
            cancel.check()
        n = min(batch, samples - start)
        z = module.sample_latents(n, seed + start)  # type: ignore[operator]
        # A conditional model's w space is shared by its classes: sample them all.
        labels = class_labels(model, n, None, seed + start)
        ws.append(module.map(z, 1.0, labels).float().cpu().numpy())  # type: ignore[operator]
        if progress:
            progress(min(1.0, (start + batch) / samples))
    return pca(np.concatenate(ws), k, "w")


def _stored(stored: object, dim: int, k: int) -> Directions | None:
    """The directions a VAE file carries, or None when they are missing or malformed
    (another program's file may hold anything there)."""
    if not isinstance(stored, dict):
        return None
    try:
        mean = np.asarray(stored["mean"], dtype=np.float32)
        comps = np.asarray(stored["components"], dtype=np.float32)[:k]
        stds = np.asarray(stored["stds"], dtype=np.float32)[:k]
    except (KeyError, TypeError, ValueError):
        return None
    n = comps.shape[0] if comps.ndim == 2 else 0
    fits = mean.shape == (dim,) and n > 0 and comps.shape == (n, dim) and stds.shape == (n,)
    if not fits or not all(np.isfinite(a).all() for a in (mean, comps, stds)):
        return None
    return Directions(mean, comps, stds, "z")


def vae_directions(model: LoadedModel, k: int = DEFAULT_K) -> Directions:
    """Directions stored with the VAE at export (PCA of its encoded training set),
    or, for a file without usable ones, the first ``k`` latent axes (the prior is
    isotropic)."""
    dim = int(model.module.latent_size)  # type: ignore[arg-type]
    stored = _stored(model.meta.get("directions"), dim, k)
    if stored is not None:
        return stored
    k = min(k, dim)
    return Directions(
        np.zeros(dim, np.float32), np.eye(dim, dtype=np.float32)[:k], np.ones(k, np.float32), "z"
    )
