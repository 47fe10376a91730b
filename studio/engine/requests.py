"""Requests: frozen dataclasses holding everything a job needs.

Nothing else is read from shared state while a job runs, so a request can be replayed
(the gallery's recipes are requests) and compared.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from studio.pipelines.mix import AnyRecipe, MixRecipe, recipe_from_dict
from studio.pipelines.render import Recipe
from studio.pipelines.variations import VariationRecipe


@dataclass(frozen=True)
class LoadModel:
    """Load a model (registry name or file path) and report what it is."""

    model: str


@dataclass(frozen=True)
class RenderLatent(Recipe):
    """One image from a recipe: the seed's latent (or ``latent``), truncated, edited."""

    @staticmethod
    def of(recipe: Recipe) -> RenderLatent:
        return RenderLatent(**{f.name: getattr(recipe, f.name) for f in fields(Recipe)})


@dataclass(frozen=True)
class RenderMix:
    """One crossbred child: a mix of parent recipes by per-layer (or per-code) weights."""

    recipe: MixRecipe

    @property
    def model(self) -> str:
        return self.recipe.model


@dataclass(frozen=True)
class RenderVariations:
    """Every child of ``recipe``'s batch of variations, decoded in one call (its
    ``index`` only names the child a kept one came from)."""

    recipe: VariationRecipe

    @property
    def model(self) -> str:
        return self.recipe.model


@dataclass(frozen=True)
class RenderDirectionStrip:
    """What one direction does: ``recipe`` with slider ``index`` at each of ``amounts``
    (the other sliders as they are), decoded together in one batch."""

    recipe: Recipe
    index: int
    amounts: tuple[float, ...] = (-2.0, 0.0, 2.0)


@dataclass(frozen=True)
class RenderMorph:
    """Frames along a path through several recipes of one model."""

    model: str
    recipes: tuple[AnyRecipe, ...]  # plain ones, mixes, variations
    frames: int = 24
    mode: str = "linear"  # or "spherical"
    loop: str = "once"  # or "loop", "pingpong"

    @staticmethod
    def of(recipes: list[dict[str, Any]], frames: int, mode: str, loop: str) -> RenderMorph:
        """A morph through recipe dicts (as kept); ValueError if one is malformed."""
        keys = tuple(recipe_from_dict(r) for r in recipes)
        return RenderMorph(keys[0].model, keys, frames, mode, loop)


@dataclass(frozen=True)
class ComputeDirections:
    """The model's principal latent directions (cached on disk after the first time)."""

    model: str
    k: int = 12


@dataclass(frozen=True)
class GenerateGrid:
    """``count`` images from ``seed`` (for sheets, exports and the CLI)."""

    model: str
    count: int
    seed: int
    truncation: float = 1.0
    label: int | None = None


@dataclass(frozen=True)
class TrainRun:
    """Train (or resume) the run in ``run_dir``; ``config`` is a new run's settings."""

    run_dir: str
    resume: bool = False
    config: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ScanFolder:
    """Check a folder before training: the report, without the decoded images."""

    folder: str
    background: tuple[int, int, int] = (255, 255, 255)


@dataclass(frozen=True)
class PublishRun:
    """Export a run as a model in the user's model folder, so the picker lists it."""

    run_dir: str
    name: str
