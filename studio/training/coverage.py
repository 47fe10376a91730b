"""Coverage loss for GAN training: implicit maximum likelihood estimation (IMLE,
Li & Malik 2018) alongside the adversarial loss.

Every so often each training image is given the latent, out of a random pool (plus
the latents given before), whose sample is currently nearest to it; between refreshes
G is pulled to draw that image from that latent. The adversarial loss alone gives G a
weak, indirect signal; this one says "this latent should be this image", and since
every image gets a latent it also keeps G from dropping modes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

POOL_PER_IMAGE = 4  # pool size as a multiple of the set: more finds closer latents
MATCH_SIZE = 16  # samples are matched on 16×16 thumbnails: shape and colour, cheaply
CHUNK = 128


def thumbnails(images: torch.Tensor) -> torch.Tensor:
    """(N, 3, R, R) in [-1, 1] → (N, 3·16·16) flattened thumbnails for matching."""
    return F.adaptive_avg_pool2d(images.float(), MATCH_SIZE).flatten(1)


def coverage_loss(fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """L1 at full size and on thumbnails: the thumbnail term keeps the pull on the
    overall shape strong while fine detail is still wrong."""
    full = (fake - real).abs().mean()
    return full + (thumbnails(fake) - thumbnails(real)).abs().mean()


class Coverage:
    """The latent assigned to each training image, refreshed every ``every`` steps."""

    def __init__(self, images: np.ndarray, z_dim: int, every: int, seed: int) -> None:
        if every < 1:
            raise ValueError("The coverage refresh interval must be at least one step.")
        self.real = images  # uint8 (N, R, R, 3), the trainer's own array
        self.z_dim, self.every, self.seed = z_dim, every, seed
        self.latents: torch.Tensor | None = None  # (N, z_dim) on the CPU
        self.made_at = -1
        self.match = float("nan")  # mean RMS thumbnail distance at the last assignment

    def due(self, step: int) -> bool:
        """Whether the assignment must be (re)made before ``step``."""
        return self.latents is None or (step % self.every == 0 and step != self.made_at)

    @torch.no_grad()
    def refresh(
        self,
        step: int,
        draw: Callable[[torch.Tensor], torch.Tensor],
        to_tensor: Callable[[np.ndarray], torch.Tensor],
    ) -> None:
        """Give each image its nearest pool latent; ``match`` is then the mean RMS
        distance between each image's thumbnail and its latent's.

        ``draw`` maps latents to images on the trainer's device; ``to_tensor`` turns a
        uint8 slice of the set into [-1, 1] images there. The pool is the latents given
        last time plus fresh ones that depend only on (seed, step), so a resumed run
        assigns exactly what an uninterrupted one did.
        """
        n = len(self.real)
        gen = torch.Generator().manual_seed(self.seed * 1_000_003 + step)
        pool = torch.randn(n * POOL_PER_IMAGE, self.z_dim, generator=gen)
        if self.latents is not None:
            # The latents already given stay candidates: what G has learnt to draw from
            # them is kept unless a fresh latent now draws the image better.
            pool = torch.cat([self.latents, pool])
        pool_thumbs = torch.cat([thumbnails(draw(z)).cpu() for z in pool.split(CHUNK)])
        best = torch.full((n,), float("inf"))
        pick = torch.zeros(n, dtype=torch.long)
        for start in range(0, n, CHUNK):
            real = thumbnails(to_tensor(self.real[start : start + CHUNK])).cpu()
            dist, idx = torch.cdist(real, pool_thumbs).min(dim=1)
            best[start : start + CHUNK], pick[start : start + CHUNK] = dist, idx
        self.latents = pool[pick]
        self.made_at = step
        self.match = float(best.mean() / (3 * MATCH_SIZE * MATCH_SIZE) ** 0.5)

    def assigned(self, indices: np.ndarray, device: torch.device) -> torch.Tensor:
        """The latents given to the images at ``indices``."""
        assert self.latents is not None, "refresh() comes first"
        return self.latents[torch.from_numpy(indices)].to(device)

    def state_dict(self) -> dict[str, Any]:
        return {"latents": self.latents, "made_at": self.made_at, "match": self.match}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.latents = state.get("latents")
        self.made_at = int(state.get("made_at", -1))
        self.match = float(state.get("match", float("nan")))
