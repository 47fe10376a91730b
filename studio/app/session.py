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

        Raises ``ValueError`` (or ``TypeError``/``KeyError``) for data that is not a
        state at all, so a damaged settings file can be ignored by the caller.
        """
        model = str(data["model"])
        if not model:
            raise ValueError("A session needs a model.")
        seed = min(max(int(data.get("seed", 0)), 0), MAX_SEED)
        lo, hi = TRUNCATION_RANGE
        truncation = min(max(float(data.get("truncation", 1.0)), lo), hi)
        raw = [float(v) for v in data.get("edits", [])][:sliders]
        raw += [0.0] * (sliders - len(raw))
        edits = tuple(min(max(v, -EDIT_LIMIT), EDIT_LIMIT) for v in raw)
        layers_raw = data.get("layers")
        layers: tuple[int, int] | None = None
        if layers_raw is not None:
            first, last = (int(v) for v in layers_raw)
            if 0 <= first < last:
                layers = (first, last)
        latent_raw = data.get("latent")
        latent = None if latent_raw is None else tuple(float(v) for v in latent_raw)
        label = None if data.get("label") is None else int(data["label"])
        grid_raw = data.get("grid")
        grid: tuple[int, int, int] | None = None
        if grid_raw:
            count, batch, index = (int(v) for v in grid_raw)
            if 0 <= index < count and batch >= 1:
                grid = (count, batch, index)
        return SessionState(model, seed, truncation, edits, layers, latent, label, grid)


def fresh_start(before: SessionState, after: SessionState) -> SessionState:
    """``after`` without a starting point it only carried over from ``before`` when its
    seed or model changed: a new seed means that seed's own picture, and a latent or
    class label of one model means nothing to another."""
    carried = (after.latent, after.grid) == (before.latent, before.grid)
    if after.model != before.model and carried and after.label == before.label:
        return replace(after, latent=None, label=None, grid=None)
    if after.seed != before.seed and carried:
        return replace(after, latent=None, grid=None)
    return after
