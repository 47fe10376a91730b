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


def test_the_shipped_class_model_knows_its_classes():
    model = load_checkpoint(SHIPPED / "emoji-classes-gan.safetensors", "cpu")
    classes, counts = model.meta["classes"], model.meta["class_counts"]
    assert {"face-smiling", "heart", "animal-mammal", "unlisted"} <= set(classes)
    assert len(counts) == len(classes) == model.module.cfg.num_classes
    # The training split: about 90 % of the folder (the hold-out is drawn per file).
    assert 0.85 < sum(counts) / model.meta["data"]["count"] < 0.95 and min(counts) >= 0
    z = model.module.sample_latents(2, 3)
    with torch.inference_mode():
        smiles = model.module.decode(z, labels=torch.full((2,), classes.index("face-smiling")))
        hearts = model.module.decode(z, labels=torch.full((2,), classes.index("heart")))
    assert (smiles - hearts).abs().mean() > 0.1, "the class must change the picture"


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
    classes = getattr(module.cfg, "num_classes", 0)
    extra = {"labels": torch.arange(4) % classes} if classes else {}
    with torch.inference_mode():
        a = module.sample(4, seed=7, **extra)
        b = module.sample(4, seed=7, **extra)
    res = meta["resolution"]
    assert a.shape == (4, 3, res, res) and torch.isfinite(a).all()
    assert torch.equal(a, b)
    assert a.std() > 0.05  # pictures, not a flat colour
