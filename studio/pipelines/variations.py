"""Variations: children around a latent, all decoded in one batch.

Child k is the parent's latent plus ``spread`` times row k of a seeded draw taken away
from the mean: for a GAN ``map(z_k) - w_avg`` (a typical step in w), added only in the
chosen range of synthesis layers, so that varying only the fine layers changes only
the colours; for a VAE ``z_k - prior_mean``. Spread 1 is a whole random sample's
worth of difference. Same parent, seed and spread, same children.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch

from studio.imaging.recipe_read import RecipeError
from studio.models.checkpoint import LoadedModel
from studio.pipelines.cancel import CancelToken
from studio.pipelines.directions import Directions
from studio.pipelines.mix import AnyRecipe, check_parts, latent_of, recipe_from_dict
from studio.pipelines.render import MAX_LAYER, SEED_RANGE, decode_edited
from studio.pipelines.sample import class_labels, to_uint8

VARIATION_KIND = "variation"
VARIATION_VERSION = 2
MAX_COUNT = 64
SPREAD_RANGE = (0.0, 4.0)


@dataclass(frozen=True)
class VariationRecipe:
    """Child ``index`` of ``count`` variations of ``parent`` (remade as the whole batch,
    so its pixels are those of the batch it was first shown in). ``layers`` is the
    ``[lo, hi)`` range of a GAN's synthesis layers that vary (None: all)."""

    model: str
    parent: AnyRecipe
    spread: float
    seed: int
    count: int
    index: int = 0
    layers: tuple[int, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": VARIATION_VERSION,
            "kind": VARIATION_KIND,
            "model": self.model,
            "parent": self.parent.to_dict(),
            "spread": self.spread,
            "seed": self.seed,
            "count": self.count,
            "index": self.index,
            "layers": list(self.layers) if self.layers else None,
        }

    @staticmethod
    def from_dict(d: dict[str, Any]) -> VariationRecipe:
        """A variation from its JSON form; :class:`RecipeError` for anything malformed."""
        model = d.get("model")
        if not isinstance(model, str):
            raise RecipeError("The recipe is not valid: its model is not a name.")
        values: dict[str, Any] = {k: d.get(k) for k in ("spread", "seed", "count", "index")}
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values.values()):
            raise RecipeError("The recipe is not valid: a variation's numbers are missing.")
        whole = [values[k] for k in ("seed", "count", "index")]
        if any(isinstance(v, float) and not v.is_integer() for v in whole):
            raise RecipeError("The recipe is not valid: a variation's seed or index is not whole.")
        layers = d.get("layers")
        if layers is not None and (
            not isinstance(layers, list)
            or len(layers) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in layers)
        ):
            raise RecipeError("The recipe is not valid: its layers are not a pair of numbers.")
        recipe = VariationRecipe(
            model,
            recipe_from_dict(d.get("parent")),
            float(values["spread"]),
            int(values["seed"]),
            int(values["count"]),
            int(values["index"]),
            (layers[0], layers[1]) if layers else None,
        )
        recipe.check()
        return recipe

    def check(self) -> None:
        """Refuse a count past :data:`MAX_COUNT`, an index outside it, a spread that is
        not finite or outside :data:`SPREAD_RANGE`, a reversed layer range, a parent of
        another model."""
        check_settings(self.count, self.spread)
        if not 0 <= self.index < self.count:
            raise RecipeError("The recipe is not valid: its variation index is out of range.")
        if not SEED_RANGE[0] <= self.seed < SEED_RANGE[1]:
            raise RecipeError("The recipe is not valid: its seed is out of range.")
        if self.layers is not None and not 0 <= self.layers[0] < self.layers[1] <= MAX_LAYER:
            raise RecipeError("The recipe is not valid: its layer range is empty or reversed.")
        if self.parent.model != self.model:
            raise RecipeError(
                f"The parent comes from {self.parent.model}, not {self.model}; "
                "a variation keeps its parent's model."
            )
        check_parts(self)
        self.parent.check()


def check_settings(count: int, spread: float) -> None:
    """One plain line for a count or spread variations cannot use."""
    if not 1 <= count <= MAX_COUNT:
        raise RecipeError(f"Variations come 1 to {MAX_COUNT} at a time, not {count}.")
    lo, hi = SPREAD_RANGE
    if not math.isfinite(spread) or not lo <= spread <= hi:
        raise RecipeError(f"The spread must be a number from {lo:g} to {hi:g}, not {spread:g}.")


@torch.inference_mode()
def variation_latents(
    model: LoadedModel, recipe: VariationRecipe, directions: Directions | None = None
) -> torch.Tensor:
    """All ``recipe.count`` children's decoder inputs, stacked along dim 0."""
    recipe.check()
    module: Any = model.module
    base = latent_of(model, recipe.parent, directions)
    drawn = module.sample_latents(recipe.count, recipe.seed)
    if model.kind == "gan":
        num_ws = int(module.num_ws)
        lo, hi = recipe.layers or (0, num_ws)
        if hi > num_ws:
            raise RecipeError(
                f"{model.name} has synthesis layers 0–{num_ws - 1}; "
                f"the range asks for up to {hi - 1}."
            )
        labels = class_labels(model, recipe.count, None, recipe.seed)
        step = module.map(drawn, 1.0, labels) - module.mapping.w_avg.to(base.dtype)
        children = base.repeat(recipe.count, 1, 1)
        # Only the chosen layers move: the rest keep the parent's w exactly.
        children[:, lo:hi] += recipe.spread * step.unsqueeze(1).to(base.device)
        return children
    if recipe.layers is not None:
        raise RecipeError("A VAE has no synthesis layers; leave out the layer range.")
    step = drawn.to(base.device) - module.prior_mean.to(base.dtype)
    return base.repeat(recipe.count, 1) + recipe.spread * step


def render_variations(
    model: LoadedModel,
    recipe: VariationRecipe,
    directions: Directions | None = None,
    cancel: CancelToken | None = None,
) -> Any:
    """uint8 (count, R, R, 3): every child of ``recipe``'s batch, in one decoder call
    (``recipe.index`` does not matter here)."""
    latents = variation_latents(model, recipe, directions)
    if cancel is not None:
        cancel.check()
    return to_uint8(decode_edited(model, latents, cancel))


def render_variation(
    model: LoadedModel,
    recipe: VariationRecipe,
    directions: Directions | None = None,
    cancel: CancelToken | None = None,
) -> Any:
    """uint8 (R, R, 3): child ``recipe.index``, remade with its whole batch."""
    return render_variations(model, recipe, directions, cancel)[recipe.index]
