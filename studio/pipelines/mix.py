"""Crossbreed (style mixing): a child latent blended from its parents' latents.

Each parent is a recipe that remakes its own latent. For a GAN that is the per-layer ws
(mapped, truncated, edited) and the child's ws are a per-layer weighted sum of the
parents' ws, so a parent can give the coarse layers (pose, shape) and another the fine
ones (colour, texture), as in the StyleGAN papers' style mixing. For a VAE it is the
code z, and the child's z is one weighted blend of the parents' codes.

Weights are kept as given and normalised per layer when the latent is made, so a
weight of 1 on one parent (0 on the rest) gives that parent's latent exactly, and so
its pixels bit for bit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Union

import torch

from studio.imaging.recipe_read import RecipeError
from studio.models.checkpoint import LoadedModel
from studio.pipelines.cancel import CancelToken
from studio.pipelines.directions import Directions
from studio.pipelines.render import (
    MAX_LAYER,
    Recipe,
    decode_edited,
    edited_latent,
    render_recipe,
)
from studio.pipelines.sample import class_labels, to_uint8

if TYPE_CHECKING:
    from studio.pipelines.variations import VariationRecipe

MIX_KIND = "mix"
MIX_VERSION = 2  # recipes of a kind: version 2 onwards (plain ones are version 1)
MAX_PARENTS = 16
# Recipes one mix or variation may be made of, nested ones included: each is a pass of
# the mapping network, so a recipe (bounded only in bytes) stays a small amount of work.
MAX_PARTS = 64
MAX_WEIGHT = 1e6  # weights are relative; far larger only overflows the sum
BANDS = ("coarse", "middle", "fine")

# Any recipe a mix or a variation can start from.
AnyRecipe = Union[Recipe, "MixRecipe", "VariationRecipe"]  # noqa: UP007 (a forward reference)


def band_ranges(num_ws: int) -> dict[str, tuple[int, int]]:
    """The synthesis layers of each band, ``[lo, hi)``: the layers split in three from
    the coarsest (lowest resolution) up, like StyleGAN's coarse / middle / fine styles."""
    edges = [round(i * num_ws / 3) for i in range(4)]
    return {band: (edges[i], edges[i + 1]) for i, band in enumerate(BANDS)}


def band_weights(
    parents: int, num_ws: int, bands: dict[str, tuple[float, ...]]
) -> tuple[tuple[float, ...], ...]:
    """Per-parent, per-layer weights from weights per band (a band not named keeps equal
    weights); raises ``ValueError`` for an unknown band or a wrong number of weights."""
    out = [[1.0] * num_ws for _ in range(parents)]
    ranges = {"all": (0, num_ws), **band_ranges(num_ws)}
    # "all" first, so that the bands named with it refine it.
    for band, values in sorted(bands.items(), key=lambda kv: kv[0] != "all"):
        if band not in ranges:
            raise ValueError(f"There is no band {band!r}; the bands are {', '.join(BANDS)}.")
        if len(values) != parents:
            raise ValueError(
                f"The {band} band has {len(values)} weights for {parents} parents; "
                "give one weight per parent."
            )
        lo, hi = ranges[band]
        for p, value in enumerate(values):
            for layer in range(lo, hi):
                out[p][layer] = float(value)
    return tuple(tuple(row) for row in out)


def parse_weights(text: str) -> dict[str, tuple[float, ...]]:
    """``coarse=0:1,middle=1:0,fine=0.5:0.5`` → weights per band (or per layer: ``3=1:0``
    names layer 3; a bare ``0.3:0.7`` is ``all``, every layer or a VAE's code);
    ``ValueError`` with a plain message for anything else."""
    out: dict[str, tuple[float, ...]] = {}
    parts = text.split(",")
    for part in parts:
        name, eq, values = part.partition("=")
        if not eq and len(parts) == 1:
            name, eq, values = "all", "=", part  # one weight per parent, every layer
        name = name.strip()
        if not eq or not name:
            raise ValueError(f"Weights are written band=w:w:…, e.g. coarse=0:1; not {part!r}.")
        try:
            numbers = tuple(float(v) for v in values.split(":"))
        except ValueError:
            raise ValueError(f"The weights of {name} are not numbers: {values!r}.") from None
        if not all(math.isfinite(v) and 0 <= v <= MAX_WEIGHT for v in numbers):
            raise ValueError(f"The weights of {name} must be finite and not negative.")
        if name in out:
            raise ValueError(f"{name} is given twice.")
        out[name] = numbers
    return out


def layer_weights(
    parents: int, num_ws: int, spec: dict[str, tuple[float, ...]]
) -> tuple[tuple[float, ...], ...]:
    """Per-parent, per-layer weights from :func:`parse_weights`' bands and layers: bands
    first, then single layers (by number) over them."""
    bands = {k: v for k, v in spec.items() if not k.isdigit()}
    out = [list(row) for row in band_weights(parents, num_ws, bands)]
    for key, values in spec.items():
        if not key.isdigit():
            continue
        layer = int(key)
        if not 0 <= layer < num_ws:
            raise ValueError(f"There is no layer {layer}; this model has layers 0–{num_ws - 1}.")
        if len(values) != parents:
            raise ValueError(f"Layer {layer} has {len(values)} weights for {parents} parents.")
        for p, value in enumerate(values):
            out[p][layer] = value
    return tuple(tuple(row) for row in out)


@dataclass(frozen=True)
class MixRecipe:
    """A child of ``parents`` (recipes of one model): ``weights[p][layer]`` is parent
    p's weight at that synthesis layer (a GAN) or ``weights[p][0]`` its one weight (a
    VAE); weights are normalised per layer when the child is made."""

    model: str
    parents: tuple[AnyRecipe, ...]
    weights: tuple[tuple[float, ...], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": MIX_VERSION,
            "kind": MIX_KIND,
            "model": self.model,
            "parents": [p.to_dict() for p in self.parents],
            "weights": [list(w) for w in self.weights],
        }

    @staticmethod
    def from_dict(d: dict[str, Any]) -> MixRecipe:
        """A mix from its JSON form; :class:`RecipeError` for anything malformed."""
        model = d.get("model")
        if not isinstance(model, str):
            raise RecipeError("The recipe is not valid: its model is not a name.")
        parents = d.get("parents")
        if not isinstance(parents, list) or not 2 <= len(parents) <= MAX_PARENTS:
            raise RecipeError(f"The recipe is not valid: a mix has 2 to {MAX_PARENTS} parents.")
        weights = d.get("weights")
        if not isinstance(weights, list) or len(weights) != len(parents):
            raise RecipeError("The recipe is not valid: a mix has one row of weights a parent.")
        rows = []
        for row in weights:
            if not isinstance(row, list) or not 1 <= len(row) <= MAX_LAYER:
                raise RecipeError("The recipe is not valid: a row of mix weights is malformed.")
            if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in row):
                raise RecipeError("The recipe is not valid: a mix weight is not a number.")
            rows.append(tuple(float(v) for v in row))
        recipe = MixRecipe(model, tuple(recipe_from_dict(p) for p in parents), tuple(rows))
        recipe.check()
        return recipe

    def check(self) -> None:
        """Refuse parents of another model, ragged or negative weights, and a layer where
        every weight is 0 (no parent would give it anything)."""
        models = {p.model for p in self.parents}
        if models != {self.model}:
            names = ", ".join(sorted(models | {self.model}))
            raise RecipeError(
                f"The parents come from different models ({names}); "
                "a mix needs parents of one model."
            )
        if len(self.weights) != len(self.parents) or len({len(w) for w in self.weights}) != 1:
            raise RecipeError("The mix weights need one row per parent, all of one length.")
        for row in self.weights:
            if not all(math.isfinite(v) and 0 <= v <= MAX_WEIGHT for v in row):
                raise RecipeError("The mix weights must be finite and not negative.")
        for layer, column in enumerate(zip(*self.weights, strict=True)):
            if not any(column):
                raise RecipeError(
                    f"Every parent's weight is 0 at layer {layer}; give one parent a weight there."
                )
        check_parts(self)
        for parent in self.parents:
            parent.check()


def count_parts(recipe: AnyRecipe) -> int:
    """How many recipes ``recipe`` is made of, itself and every nested one."""
    if isinstance(recipe, MixRecipe):
        return 1 + sum(count_parts(p) for p in recipe.parents)
    parent = getattr(recipe, "parent", None)
    return 1 + (count_parts(parent) if parent is not None else 0)


def check_parts(recipe: AnyRecipe) -> None:
    """Refuse a recipe made of more than :data:`MAX_PARTS` recipes."""
    parts = count_parts(recipe)
    if parts > MAX_PARTS:
        raise RecipeError(
            f"The recipe is not valid: it is made of {parts} recipes (at most {MAX_PARTS})."
        )


def recipe_from_dict(d: Any) -> AnyRecipe:
    """Any recipe from its JSON form, by its ``kind`` (none: a plain image recipe)."""
    if not isinstance(d, dict):
        raise RecipeError("The recipe is not valid: it is not a JSON object.")
    kind = d.get("kind")
    if kind == MIX_KIND:
        return MixRecipe.from_dict(d)
    from studio.pipelines.variations import VARIATION_KIND, VariationRecipe

    if kind == VARIATION_KIND:
        return VariationRecipe.from_dict(d)
    return Recipe.from_dict(d)


def with_model(recipe: AnyRecipe, model: str) -> AnyRecipe:
    """``recipe`` with every model name in it (parents too) replaced by ``model``."""
    if isinstance(recipe, MixRecipe):
        parents = tuple(with_model(p, model) for p in recipe.parents)
        return replace(recipe, model=model, parents=parents)
    from studio.pipelines.variations import VariationRecipe

    if isinstance(recipe, VariationRecipe):
        return replace(recipe, model=model, parent=with_model(recipe.parent, model))
    return replace(recipe, model=model)


def edits_needed(recipe: AnyRecipe) -> int:
    """How many direction sliders the recipe and its parents use (0: no directions)."""
    if isinstance(recipe, MixRecipe):
        return max(edits_needed(p) for p in recipe.parents)
    from studio.pipelines.variations import VariationRecipe

    if isinstance(recipe, VariationRecipe):
        return edits_needed(recipe.parent)
    return len(recipe.edits) if any(recipe.edits) else 0


@torch.inference_mode()
def mix_latent(
    model: LoadedModel, recipe: MixRecipe, directions: Directions | None = None
) -> torch.Tensor:
    """The child's decoder input: (1, num_ws, w_dim) for a GAN, (1, D) for a VAE."""
    recipe.check()
    keys = [latent_of(model, p, directions) for p in recipe.parents]
    weights = torch.tensor(recipe.weights, dtype=torch.float64)
    if model.kind == "gan":
        num_ws = int(getattr(model.module, "num_ws", 0))
        if weights.shape[1] != num_ws:
            raise RecipeError(
                f"The mix has weights for {weights.shape[1]} layers; {model.name} has {num_ws}."
            )
        # (P, num_ws) normalised per layer, applied to each parent's (1, num_ws, w_dim).
        norm = (weights / weights.sum(0, keepdim=True)).to(torch.float32)
        child = torch.zeros_like(keys[0])
        for key, w in zip(keys, norm, strict=True):
            child = child + key * w.to(key.device).view(1, -1, 1)
        return child
    if weights.shape[1] != 1:
        raise RecipeError("A VAE mix has one weight per parent.")
    norm = (weights[:, 0] / weights[:, 0].sum()).to(torch.float32)
    child = torch.zeros_like(keys[0])
    for key, w in zip(keys, norm.tolist(), strict=True):
        child = child + key * w
    return child


def latent_of(
    model: LoadedModel, recipe: AnyRecipe, directions: Directions | None = None
) -> torch.Tensor:
    """The decoder input any recipe remakes (a plain one, a mix, a variation)."""
    if isinstance(recipe, MixRecipe):
        return mix_latent(model, recipe, directions)
    from studio.pipelines.variations import VariationRecipe, variation_latents

    if isinstance(recipe, VariationRecipe):
        return variation_latents(model, recipe, directions)[recipe.index : recipe.index + 1]
    if recipe.grid is not None:
        recipe = _ungridded(model, recipe)
    return edited_latent(model, recipe, directions)


def _ungridded(model: LoadedModel, recipe: Recipe) -> Recipe:
    """A grid image's recipe as one that names its latent (and class) by itself: its
    row of the seed's draw, as ``generate`` gave it."""
    assert recipe.grid is not None
    index = recipe.grid[2]
    latent, label = recipe.latent, recipe.label
    if latent is None:
        row = model.module.sample_latents(index + 1, recipe.seed)[index]  # type: ignore[operator]
        latent = tuple(float(v) for v in row.tolist())
    if label is None:
        labels = class_labels(model, 1, None, recipe.seed, index)
        label = None if labels is None else int(labels[0])
    return replace(recipe, grid=None, latent=latent, label=label)


def render_mix(
    model: LoadedModel,
    recipe: MixRecipe,
    directions: Directions | None = None,
    cancel: CancelToken | None = None,
) -> Any:
    """uint8 (R, R, 3): the mixed child, decoded on its own."""
    return to_uint8(decode_edited(model, mix_latent(model, recipe, directions), cancel))[0]


def render_any(
    model: LoadedModel,
    recipe: AnyRecipe,
    directions: Directions | None = None,
    cancel: CancelToken | None = None,
) -> Any:
    """uint8 (R, R, 3) remade from a recipe of any kind, the way it was first made."""
    if isinstance(recipe, MixRecipe):
        return render_mix(model, recipe, directions, cancel)
    from studio.pipelines.variations import VariationRecipe, render_variation

    if isinstance(recipe, VariationRecipe):
        return render_variation(model, recipe, directions, cancel)
    return render_recipe(model, recipe, directions, cancel)
