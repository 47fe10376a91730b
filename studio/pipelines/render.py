"""One image from a latent plus slider edits: the slider hot path, and recipes.

For a GAN the edit moves w along principal directions, only in the chosen range of
synthesis layers; for a VAE it moves the code z. ``edited_latent`` gives what the
decoder takes (per-layer ws for a GAN, z for a VAE), which is also what morphs
interpolate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from studio.imaging.recipe_read import RecipeError
from studio.models.checkpoint import LoadedModel
from studio.pipelines.cancel import CancelToken
from studio.pipelines.directions import Directions
from studio.pipelines.sample import GenerateRequest, class_labels, generate_images, to_uint8

RECIPE_VERSION = 1
# Plain image recipes have no "kind" (or one of these); later kinds ("mix", "variation")
# are versioned from 2 and read by studio.pipelines.mix.recipe_from_dict.
IMAGE_KINDS = frozenset({"image", "latent"})
# The window's limits (its truncation and direction sliders): a recipe asking for more
# is refused when rendered, as NaN or 1e300 would only give a black image.
TRUNCATION_RANGE = (0.0, 2.0)
EDIT_LIMIT = 3.0
# Bounds on the work one recipe may ask for. ``generate`` makes at most 4096 images in
# batches of 64; a grid position names one of them, and remaking it runs one batch.
MAX_GRID_COUNT = 4096
MAX_GRID_BATCH = 256
MAX_EDITS = 512  # direction sliders (no model has more directions than latent dims)
MAX_LATENT = 4096  # numbers in an explicit latent
MAX_LATENT_VALUE = 1e6  # a latent is about unit-sized; far larger overflows the network
MAX_LAYER = 1024
MAX_GENES = 64  # gene sliders on one image
MAX_GENE_NAME = 64  # characters
MAX_LABEL = 1_000_000
SEED_RANGE = (-(2**63), 2**64)  # what seeded draws take (they use the low 64 bits)


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
    # Gene edits, applied after the PCA edits within the layer range: (name, vector,
    # amount), the vector kept whole so the recipe remakes the image without the gene
    # file. Optional: a recipe without genes reads, renders and writes as before.
    genes: tuple[GeneEdit, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
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
        if self.genes:  # only then: an older recipe's JSON form stays the same
            d["genes"] = [g.to_dict() for g in self.genes]
        return d

    @staticmethod
    def from_dict(d: dict[str, Any]) -> Recipe:
        """A recipe from its JSON form; raises :class:`RecipeError` (a ``ValueError``) on
        anything malformed: wrong types, non-finite numbers, sizes past the bounds, an
        inconsistent grid. Ranges a value may be clamped to are left to :meth:`check`."""
        if not isinstance(d, dict):
            raise RecipeError("The recipe is not valid: it is not a JSON object.")
        kind = d.get("kind")
        if kind is not None and kind not in IMAGE_KINDS:
            # A mix, a variation… has its own class (studio.pipelines.mix.recipe_from_dict
            # reads every kind); read as a plain recipe it would silently be another image.
            raise RecipeError(f"This is a recipe of kind {str(kind)[:40]!r}, not a plain image's.")
        try:
            if "model" not in d:
                raise ValueError("it names no model")
            model = d["model"]
            if not isinstance(model, str):
                raise ValueError("its model is not a name")
            layers = d.get("layers")
            latent = d.get("latent")
            label = d.get("label")
            return Recipe(
                model=model,
                seed=_int(d.get("seed", 0), "seed", *SEED_RANGE),
                truncation=_number(d.get("truncation", 1.0), "truncation"),
                edits=_numbers(d.get("edits") or (), "edits", MAX_EDITS),
                layers=_layers(layers) if layers else None,
                latent=None if latent is None else _latent(latent),
                label=None if label is None else _int(label, "label", 0, MAX_LABEL),
                grid=_grid(d.get("grid")),
                genes=_genes(d.get("genes")),
            )
        except (KeyError, TypeError, ValueError, IndexError, OverflowError) as exc:
            raise RecipeError(f"The recipe is not valid: {exc}.") from None

    def check(self) -> None:
        """Refuse values outside the window's limits (truncation, edits, layer range) and
        a grid asking for more work than one batch of ``generate``'s largest request."""
        lo, hi = TRUNCATION_RANGE
        if not lo <= self.truncation <= hi:
            raise RecipeError(
                f"The recipe is not valid: its truncation {self.truncation:g} is outside "
                f"{lo:g}–{hi:g}."
            )
        # Written as "not within" so that NaN, which compares false, is refused too.
        bad = [v for v in self.edits if not -EDIT_LIMIT <= v <= EDIT_LIMIT]
        if bad:
            raise RecipeError(
                f"The recipe is not valid: an edit of {bad[0]:g} is outside "
                f"±{EDIT_LIMIT:g} (the sliders' range)."
            )
        if self.layers is not None and not 0 <= self.layers[0] <= self.layers[1]:
            raise RecipeError("The recipe is not valid: its layer range is reversed.")
        if self.grid is not None:
            try:
                _grid(self.grid)
            except (TypeError, ValueError) as exc:
                raise RecipeError(f"The recipe is not valid: {exc}.") from None
        for gene in self.genes:
            if not -EDIT_LIMIT <= gene.amount <= EDIT_LIMIT:
                raise RecipeError(
                    f"The recipe is not valid: gene {gene.name[:MAX_GENE_NAME]!r} has an "
                    f"amount of {gene.amount:g}, outside ±{EDIT_LIMIT:g} (the sliders' range)."
                )


@dataclass(frozen=True)
class GeneEdit:
    """One gene slider on an image: the gene's name, its direction (already scaled like
    a PCA direction) and how far along it the image moves."""

    name: str
    vector: tuple[float, ...]
    amount: float

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "vector": list(self.vector), "amount": self.amount}


def gene_name(value: Any) -> str:
    """A gene's name, checked: text of 1 to :data:`MAX_GENE_NAME` characters, without
    control characters; ``ValueError`` otherwise."""
    if not isinstance(value, str):
        raise ValueError("a gene's name is not text")
    name = value.strip()
    if not 1 <= len(name) <= MAX_GENE_NAME:
        raise ValueError(f"a gene's name must be 1 to {MAX_GENE_NAME} characters")
    if any(not ch.isprintable() for ch in name):
        raise ValueError("a gene's name holds control characters")
    return name


def _genes(value: Any) -> tuple[GeneEdit, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ValueError("its genes are not a list")
    if len(value) > MAX_GENES:
        raise ValueError(f"it has {len(value)} genes (at most {MAX_GENES})")
    out = []
    for item in value:
        if not isinstance(item, dict):
            raise ValueError("a gene is not an object")
        vector = _latent(item.get("vector"))
        out.append(
            GeneEdit(
                gene_name(item.get("name")), vector, _number(item.get("amount"), "gene amount")
            )
        )
    return tuple(out)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number(value: Any, name: str) -> float:
    if not _is_number(value):
        raise ValueError(f"its {name} is not a number")
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"its {name} is not a finite number")
    return out


def _int(value: Any, name: str, lo: int, hi: int) -> int:
    if not _is_number(value) or (isinstance(value, float) and not value.is_integer()):
        raise ValueError(f"its {name} is not a whole number")
    out = int(value)
    if not lo <= out < hi:
        raise ValueError(f"its {name} {out} is out of range")
    return out


def _numbers(value: Any, name: str, most: int) -> tuple[float, ...]:
    if not isinstance(value, list | tuple):
        raise ValueError(f"its {name} are not a list of numbers")
    if len(value) > most:
        raise ValueError(f"it has {len(value)} {name} (at most {most})")
    return tuple(_number(v, name) for v in value)


def _latent(value: Any) -> tuple[float, ...]:
    latent = _numbers(value, "latent", MAX_LATENT)
    if not latent:
        raise ValueError("its latent is empty")
    if max(abs(v) for v in latent) > MAX_LATENT_VALUE:
        raise ValueError("its latent holds numbers far too large for a latent")
    return latent


def _layers(value: Any) -> tuple[int, int]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ValueError("its layers are not a pair of numbers")
    return (_int(value[0], "layers", 0, MAX_LAYER + 1), _int(value[1], "layers", 0, MAX_LAYER + 1))


def _grid(value: Any) -> tuple[int, int, int] | None:
    if not value:
        return None
    if not isinstance(value, list | tuple) or len(value) != 3:
        raise ValueError("its grid is not (count, batch, index)")
    count = _int(value[0], "grid count", 1, MAX_GRID_COUNT + 1)
    batch = _int(value[1], "grid batch", 1, MAX_GRID_BATCH + 1)
    index = _int(value[2], "grid index", 0, MAX_GRID_COUNT)
    if index >= count:
        raise ValueError("the grid position is out of range")
    return count, batch, index


def check_for_model(model: LoadedModel, recipe: Recipe) -> None:
    """Refuse a recipe this model cannot render as asked: values outside the window's
    limits (see :meth:`Recipe.check`) or a latent of another size than the model's."""
    recipe.check()
    size = int(getattr(model.module, "latent_size", 0) or 0)
    if recipe.latent is not None and size and len(recipe.latent) != size:
        raise RecipeError(
            f"The recipe's latent has {len(recipe.latent)} numbers; {model.name} takes {size}."
        )
    want = gene_size(model)
    for gene in recipe.genes:
        if len(gene.vector) != want:
            raise RecipeError(
                f"The gene {gene.name!r} has {len(gene.vector)} numbers; {model.name}'s "
                f"{'w' if model.kind == 'gan' else 'z'} has {want}."
            )


def gene_size(model: LoadedModel) -> int:
    """How many numbers a gene of ``model`` holds: w's size for a GAN, z's for a VAE."""
    module: Any = model.module
    if model.kind == "gan":
        return int(module.cfg.w_dim)
    return int(module.latent_size)


def _gene_offset(recipe: Recipe) -> torch.Tensor | None:
    """The sum of the recipe's gene moves, (D,), or None without genes."""
    if not recipe.genes:
        return None
    total = np.zeros(len(recipe.genes[0].vector), dtype=np.float32)
    for gene in recipe.genes:
        total += np.float32(gene.amount) * np.asarray(gene.vector, dtype=np.float32)
    return torch.from_numpy(total)


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
    check_for_model(model, recipe)
    z = latent_for(model, recipe.seed, recipe.latent)
    offset = None
    if directions is not None and any(recipe.edits):
        offset = torch.from_numpy(directions.offset(recipe.edits))
    genes = _gene_offset(recipe)
    if model.kind == "gan":
        w = module.map(z, recipe.truncation, class_labels(model, 1, recipe.label, recipe.seed))
        ws = w.unsqueeze(1).repeat(1, module.num_ws, 1)
        if offset is not None:
            lo, hi = recipe.layers or (0, int(module.num_ws))
            ws[:, lo:hi] += offset.to(ws.device)
        if genes is not None:  # after the PCA edits, in the same layers
            lo, hi = recipe.layers or (0, int(module.num_ws))
            ws[:, lo:hi] += genes.to(ws.device)
        return ws
    z = module.truncate(z, recipe.truncation)
    if offset is not None:
        z = z + offset.to(z.device)
    if genes is not None:
        z = z + genes.to(z.device)
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
    """uint8 (R, R, 3) remade from ``recipe``, the way it was first made (one batch of
    its grid at most: the recipe's bounds keep that small)."""
    if recipe.grid is not None and not any(recipe.edits) and not recipe.genes:
        check_for_model(model, recipe)
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
