"""Starting a run from an existing model (fine-tuning)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from studio.models.catalog import ModelNotFound, resolve_model
from studio.models.checkpoint import CheckpointError, load_checkpoint

DISC_PREFIX = "discriminator."


@dataclass
class StartWeights:
    """A model's config and weights to begin training from."""

    config: dict[str, Any]
    weights: dict[str, torch.Tensor]
    discriminator: dict[str, torch.Tensor] = field(default_factory=dict)
    name: str = ""

    def apply(self, model: nn.Module, disc: nn.Module | None = None) -> None:
        """Load the weights (and, when the file carries one, the discriminator)."""
        model.load_state_dict(self.weights)
        if disc is not None and self.discriminator:
            disc.load_state_dict(self.discriminator)


def load_start_weights(name_or_path: str, kind: str) -> StartWeights:
    """Weights of the model to fine-tune; ``ValueError`` in plain words if unusable."""
    try:
        loaded = load_checkpoint(resolve_model(name_or_path), "cpu")
    except (ModelNotFound, CheckpointError) as exc:
        raise ValueError(f"Cannot fine-tune from {name_or_path}: {exc}") from None
    if loaded.kind != kind:
        raise ValueError(
            f"{loaded.name} is a {loaded.kind.upper()}; it cannot start a {kind.upper()} run."
        )
    cfg = dict(loaded.meta["config"])
    disc = {k[len(DISC_PREFIX) :]: v for k, v in loaded.extras.items() if k.startswith(DISC_PREFIX)}
    weights = {k: v.clone() for k, v in loaded.module.state_dict().items()}
    return StartWeights(cfg, weights, disc, loaded.name)
