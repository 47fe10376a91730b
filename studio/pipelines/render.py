"""One image from a latent plus slider edits: the slider hot path, and recipes.

For a GAN the edit moves w along principal directions, only in the chosen range of
synthesis layers; for a VAE it moves the code z. ``edited_latent`` gives what the
decoder takes (per-layer ws for a GAN, z for a VAE), which is also what morphs
interpolate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from studio.models.checkpoint import LoadedModel
from studio.pipelines.cancel import CancelToken
from studio.pipelines.directions import Directions
from studio.pipelines.sample import GenerateRequest, class_labels, generate_images, to_uint8

RECIPE_VERSION = 1


@dataclass(frozen=True)
class Recipe:
    """Everything that remakes an image from a model, bit for bit (a plain value:
    comparable and hashable, so the window's undo history can hold it)."""

    model: str
    seed: int = 0
    truncation: float = 1.0
    edits: tuple[float, ...] = ()
    layers: tuple[int, int] | None = None
    latent: tuple[float, ...] | None = None  # an explicit starting latent, else the seed's
    label: int | None = None  # class index, for class-conditional models
    # (count, batch, index): image ``index`` of a batched ``generate`` of ``count`` images
    # from ``seed``. Remade the same batched way, so the pixels match bit for bit.
    grid: tuple[int, int, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": RECIPE_VERSION,
            "model": self.model,
            "seed": self.seed,
            "truncation": self.truncation,
            "edits": list(self.edits),
            "layers": list(self.layers) if self.layers else None,
            "latent": None if self.latent is None else list(self.latent),
            "label": self.label,
            "grid": list(self.grid) if self.grid else None,
        }

    @staticmethod
    def from_dict(d: dict[str, Any]) -> Recipe:
        """A recipe from its JSON form; raises ValueError on anything malformed."""
        if not isinstance(d, dict):
            raise ValueError("The recipe is not valid: it is not a JSON object.")
        try:
            layers = d.get("layers")
            latent = d.get("latent")
            return Recipe(
                model=str(d["model"]),
                seed=int(d.get("seed", 0)),
                truncation=float(d.get("truncation", 1.0)),
                edits=tuple(float(v) for v in d.get("edits") or ()),
                layers=(int(layers[0]), int(layers[1])) if layers else None,
                latent=None if latent is None else tuple(float(v) for v in latent),
                label=None if d.get("label") is None else int(d["label"]),
                grid=_grid(d.get("grid")),
            )
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise ValueError(f"The recipe is not valid: {exc}.") from None


def _grid(value: Any) -> tuple[int, int, int] | None:
    if not value:
        return None
    count, batch, index = (int(v) for v in value)
    if not (0 <= index < count <= 4096 and batch >= 1):
        raise ValueError("the grid position is out of range")
    return count, batch, index


def latent_for(
    model: LoadedModel, seed: int, latent: tuple[float, ...] | None = None
) -> torch.Tensor:
    """The (1, D) latent: an explicit one if given, else the seed's draw."""
    if latent is not None:
        return torch.from_numpy(np.asarray(latent, dtype=np.float32).reshape(1, -1))
    return model.module.sample_latents(1, seed)  # type: ignore[operator]


@torch.inference_mode()
def edited_latent(
    model: LoadedModel, recipe: Recipe, directions: Directions | None = None
) -> torch.Tensor:
    """The decoder input for ``recipe``: (1, num_ws, w_dim) for a GAN, (1, D) for a VAE."""
    module: Any = model.module
    z = latent_for(model, recipe.seed, recipe.latent)
    offset = None
    if directions is not None and any(recipe.edits):
        offset = torch.from_numpy(directions.offset(recipe.edits))
    if model.kind == "gan":
        w = module.map(z, recipe.truncation, class_labels(model, 1, recipe.label, recipe.seed))
        ws = w.unsqueeze(1).repeat(1, module.num_ws, 1)
        if offset is not None:
            lo, hi = recipe.layers or (0, int(module.num_ws))
            ws[:, lo:hi] += offset.to(ws.device)
        return ws
    z = module.truncate(z, recipe.truncation)
    if offset is not None:
        z = z + offset.to(z.device)
    return z


@torch.inference_mode()
def decode_edited(
    model: LoadedModel, x: torch.Tensor, cancel: CancelToken | None = None
) -> torch.Tensor:
    """Images in [-1, 1] from :func:`edited_latent` outputs (batched along dim 0);
    a GAN checks ``cancel`` between its synthesis blocks."""
    module: Any = model.module
    if model.kind == "gan":
        return module.synthesize(x, cancel.check if cancel is not None else None)
    return module.decode(x)


def render_image(
    model: LoadedModel,
    recipe: Recipe,
    directions: Directions | None = None,
    cancel: CancelToken | None = None,
) -> np.ndarray:
    """uint8 (R, R, 3): the recipe's latent with its edits, decoded on its own."""
    x = edited_latent(model, recipe, directions)
    return to_uint8(decode_edited(model, x, cancel))[0]


def render_recipe(
    model: LoadedModel,
    recipe: Recipe,
    directions: Directions | None = None,
    cancel: CancelToken | None = None,
) -> np.ndarray:
    """uint8 (R, R, 3) remade from ``recipe``, the way it was first made."""
    if recipe.grid is not None and not any(recipe.edits):
        count, batch, index = recipe.grid
        start = index // batch * batch
        chunk = generate_images(
            model,
            GenerateRequest(
                min(batch, count - start),
                recipe.seed,
                recipe.truncation,
                batch=batch,
                label=recipe.label,
                offset=start,
            ),
        )
        return chunk[index - start]
    return render_image(model, recipe, directions, cancel)
