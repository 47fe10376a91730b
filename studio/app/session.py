"""What the window is showing, as one plain value: model, seed, truncation, edits."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from studio.engine.requests import RenderLatent

MAX_SEED = 2**31 - 1
DEFAULT_SLIDERS = 12
EDIT_LIMIT = 3.0
TRUNCATION_RANGE = (0.0, 2.0)


@dataclass(frozen=True)
class SessionState:
    """One point in the studio: everything needed to re-render the picture exactly."""

    model: str
    seed: int = 0
    truncation: float = 1.0
    edits: tuple[float, ...] = (0.0,) * DEFAULT_SLIDERS
    layers: tuple[int, int] | None = None
    # Where the picture starts when not simply from the seed (e.g. an opened gallery
    # item): an explicit latent, a class label, a position in a batched grid.
    latent: tuple[float, ...] | None = None
    label: int | None = None
    grid: tuple[int, int, int] | None = None

    def to_request(self) -> RenderLatent:
        """The engine request that renders this state."""
        return RenderLatent(
            model=self.model,
            seed=self.seed,
            truncation=self.truncation,
            edits=self.edits,
            layers=self.layers,
            latent=None if self.latent is None else np.asarray(self.latent, np.float32),
            label=self.label,
            grid=self.grid,
        )

    def with_edit(self, index: int, value: float) -> SessionState:
        """This state with slider ``index`` set to ``value``."""
        edits = list(self.edits)
        edits[index] = float(value)
        return replace(self, edits=tuple(edits))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (see :meth:`from_dict`)."""
        return {
            "model": self.model,
            "seed": self.seed,
            "truncation": self.truncation,
            "edits": list(self.edits),
            "layers": list(self.layers) if self.layers is not None else None,
            "latent": list(self.latent) if self.latent is not None else None,
            "label": self.label,
            "grid": list(self.grid) if self.grid is not None else None,
        }

    @staticmethod
    def from_dict(data: dict[str, Any], sliders: int = DEFAULT_SLIDERS) -> SessionState:
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
