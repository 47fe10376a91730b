"""What the window is showing, as one plain value: model, seed, truncation, edits."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from studio.engine.requests import RenderLatent
from studio.pipelines.render import Recipe

MAX_SEED = 2**31 - 1
DEFAULT_SLIDERS = 12
EDIT_LIMIT = 3.0
TRUNCATION_RANGE = (0.0, 2.0)


@dataclass(frozen=True)
class SessionState(Recipe):
    """One point in the studio: a recipe (everything needed to re-render the picture
    exactly) with a slider for each of the model's first directions."""

    edits: tuple[float, ...] = (0.0,) * DEFAULT_SLIDERS

    def to_request(self) -> RenderLatent:
        """The engine request that renders this state."""
        return RenderLatent.of(self)

    def with_edit(self, index: int, value: float) -> SessionState:
        """This state with slider ``index`` set to ``value``."""
        edits = list(self.edits)
        edits[index] = float(value)
        return replace(self, edits=tuple(edits))

    @staticmethod
    def from_dict(  # type: ignore[override]
        data: dict[str, Any], sliders: int = DEFAULT_SLIDERS
    ) -> SessionState:
        """A state from :meth:`to_dict` output (or a kept recipe), clamped to valid ranges.

        Raises ``ValueError`` for data that is not a state at all, so a damaged settings
        file can be ignored by the caller.
        """
        recipe = Recipe.from_dict(data)  # the shared fields, checked as any recipe's
        if not recipe.model:
            raise ValueError("A session needs a model.")
        lo, hi = TRUNCATION_RANGE
        raw = list(recipe.edits[:sliders])
        raw += [0.0] * (sliders - len(raw))
        layers = recipe.layers
        if layers is not None and not 0 <= layers[0] < layers[1]:
            layers = None
        return SessionState(
            recipe.model,
            min(max(recipe.seed, 0), MAX_SEED),
            min(max(recipe.truncation, lo), hi),
            tuple(min(max(v, -EDIT_LIMIT), EDIT_LIMIT) for v in raw),
            layers,
            recipe.latent,
            recipe.label,
            recipe.grid,
            recipe.genes,  # kept whole: opening an image with genes must not drop them
        )


def fresh_start(before: SessionState, after: SessionState) -> SessionState:
    """``after`` without a starting point it only carried over from ``before`` when its
    seed or model changed: a new seed means that seed's own picture, and a latent, a
    class label or slider values of one model mean nothing to another (PC 1 of one
    GAN is another direction altogether in the next), so a new model starts at zero."""
    carried = (after.latent, after.grid) == (before.latent, before.grid)
    if after.model != before.model and after.edits == before.edits:
        after = replace(after, edits=(0.0,) * len(after.edits))
    if after.model != before.model and after.genes == before.genes:
        after = replace(after, genes=())  # a gene is a direction of its own model only
    if after.model != before.model and carried and after.label == before.label:
        return replace(after, latent=None, label=None, grid=None)
    if after.seed != before.seed and carried:
        return replace(after, latent=None, grid=None)
    return after
