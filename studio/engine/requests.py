"""Requests: frozen dataclasses holding everything a job needs.

Nothing else is read from shared state while a job runs, so a request can be replayed
(the gallery's recipes are requests) and compared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class LoadModel:
    """Load a model (registry name or file path) and report what it is."""

    model: str


@dataclass(frozen=True, eq=False)
class RenderLatent:
    """One image: the seed's latent (or ``latent``), truncated, with slider edits."""

    model: str
    seed: int
    truncation: float = 1.0
    edits: tuple[float, ...] = ()
    layers: tuple[int, int] | None = None
    latent: np.ndarray | None = None


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


@dataclass(frozen=True)
class TrainRun:
    """Train (or resume) the run in ``run_dir``; ``config`` is a new run's settings."""

    run_dir: str
    resume: bool = False
    config: dict[str, Any] = field(default_factory=dict)
