"""The models we ship in ``checkpoints/``: each loads, is small, names its data and
training, and samples deterministically."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from studio.models.checkpoint import load_checkpoint
from studio.models.registry import GENERATIVE_KINDS

SHIPPED = Path(__file__).resolve().parents[2] / "checkpoints"
FILES = sorted(SHIPPED.glob("*.safetensors"))
MAX_BYTES = 20 * 1024 * 1024


def test_we_ship_the_models_the_readme_names():
    assert {"emoji-gan", "emoji-vae", "studio-features"} <= {p.stem for p in FILES}


def test_the_shipped_fine_tune_names_its_parent():
    meta = load_checkpoint(SHIPPED / "emoji-faces-gan.safetensors", "cpu").meta
    parent = meta["training"]["fine_tuned_from"]
    assert parent["name"] == "emoji-gan" and parent["steps"] > 0
    assert "latent-studio train gan" in parent["command"]


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_shipped_model(path: Path) -> None:
    assert path.stat().st_size < MAX_BYTES
    model = load_checkpoint(path, "cpu")
    meta = model.meta
    assert meta["name"] == path.stem
    assert meta["data"]["licence"] and meta["data"]["source"]
    training = meta["training"]
    assert training["steps"] > 0
    assert "latent-studio " in training["command"] or "bench/" in training["command"]
    if model.kind not in GENERATIVE_KINDS:
        return
    module = model.module
    with torch.inference_mode():
        a = module.sample(4, seed=7)
        b = module.sample(4, seed=7)
    res = meta["resolution"]
    assert a.shape == (4, 3, res, res) and torch.isfinite(a).all()
    assert torch.equal(a, b)
    assert a.std() > 0.05  # pictures, not a flat colour
