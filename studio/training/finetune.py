"""Starting a run from an existing model (fine-tuning)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from studio.models.catalog import ModelNotFound, resolve_model
from studio.models.checkpoint import CheckpointError, load_checkpoint, read_meta
from studio.models.identity import model_sha256

DISC_PREFIX = "discriminator."


@dataclass
class StartWeights:
    """A model's config and weights to begin training from."""

    config: dict[str, Any]
    weights: dict[str, torch.Tensor]
    discriminator: dict[str, torch.Tensor] = field(default_factory=dict)
    name: str = ""
    arch: str = ""  # the registered architecture the weights are for

    def apply(self, model: nn.Module, disc: nn.Module | None = None) -> None:
        """Load the weights (and, when the file carries one, the discriminator)."""
        model.load_state_dict(self.weights)
        if disc is not None and self.discriminator:
            disc.load_state_dict(self.discriminator)


def _refuse_kind(name: str, got: str, kind: str) -> None:
    if got != kind:
        raise ValueError(f"{name} is a {got.upper()}; it cannot start a {kind.upper()} run.")


def load_start_weights(name_or_path: str, kind: str) -> StartWeights:
    """Weights of the model to fine-tune; ``ValueError`` in plain words if unusable."""
    try:
        loaded = load_checkpoint(resolve_model(name_or_path), "cpu")
    except (ModelNotFound, CheckpointError) as exc:
        raise ValueError(f"Cannot fine-tune from {name_or_path}: {exc}") from None
    _refuse_kind(loaded.name, loaded.kind, kind)
    cfg = dict(loaded.meta["config"])
    disc = {k[len(DISC_PREFIX) :]: v for k, v in loaded.extras.items() if k.startswith(DISC_PREFIX)}
    weights = {k: v.clone() for k, v in loaded.module.state_dict().items()}
    return StartWeights(cfg, weights, disc, loaded.name, loaded.arch)


def lineage(init_from: str, kind: str) -> dict[str, Any]:
    """What a ``kind`` run fine-tuned from ``init_from`` starts from, read from that
    model's own metadata (and, in turn, what it started from), so a model file names its
    whole ancestry. ``ValueError`` in plain words if it cannot start such a run."""
    try:
        path = resolve_model(init_from)
        meta = read_meta(path)
    except (ModelNotFound, CheckpointError) as exc:
        raise ValueError(f"Cannot fine-tune from {init_from}: {exc}") from None
    name = str(meta.get("name") or path.stem)
    _refuse_kind(name, str(meta.get("kind", "?")), kind)
    # read_meta has checked that these are objects.
    training, data = meta.get("training", {}), meta.get("data", {})
    found = {
        "name": name,
        "data": data.get("name"),
        "data_count": data.get("count"),  # a user's own folder may not say
        "command": training.get("command"),
        "steps": training.get("steps"),
        "seconds": training.get("seconds"),
        "sha256": model_sha256(path),
    }
    origin: dict[str, Any] = {"model": init_from}
    origin.update({k: v for k, v in found.items() if v is not None})
    if training.get("fine_tuned_from"):
        origin["fine_tuned_from"] = training["fine_tuned_from"]
    return origin
