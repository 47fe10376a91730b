"""One image from a latent plus slider edits: the slider hot path.

For a GAN the edit moves w along principal directions, only in the chosen range of
synthesis layers; for a VAE it moves the code z.
"""

from __future__ import annotations

import numpy as np
import torch

from studio.models.checkpoint import LoadedModel
from studio.pipelines.directions import Directions
from studio.pipelines.sample import to_uint8


def latent_for(model: LoadedModel, seed: int, latent: np.ndarray | None = None) -> torch.Tensor:
    """The (1, D) latent: an explicit one if given, else the seed's draw."""
    if latent is not None:
        return torch.from_numpy(np.asarray(latent, dtype=np.float32).reshape(1, -1))
    return model.module.sample_latents(1, seed)  # type: ignore[operator]


@torch.inference_mode()
def render_image(
    model: LoadedModel,
    seed: int,
    truncation: float = 1.0,
    edits: tuple[float, ...] = (),
    directions: Directions | None = None,
    layers: tuple[int, int] | None = None,
    latent: np.ndarray | None = None,
) -> np.ndarray:
    """uint8 (R, R, 3): the seed's (or ``latent``'s) image with ``edits`` applied."""
    module = model.module
    z = latent_for(model, seed, latent)
    offset = None
    if directions is not None and any(edits):
        offset = torch.from_numpy(directions.offset(edits))
    if model.kind == "gan":
        w = module.map(z, truncation)  # type: ignore[operator]
        ws = w.unsqueeze(1).repeat(1, module.num_ws, 1)  # type: ignore[union-attr]
        if offset is not None:
            lo, hi = layers or (0, int(module.num_ws))  # type: ignore[arg-type]
            ws[:, lo:hi] += offset.to(ws.device)
        img = module.synthesize(ws)  # type: ignore[operator]
    else:
        z = z.to(next(module.parameters()).device) * truncation
        if offset is not None:
            z = z + offset.to(z.device)
        img = module.decode(z)  # type: ignore[operator]
    return to_uint8(img)[0]
