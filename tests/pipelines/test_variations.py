"""Variations: seeded children around a latent, in one batch, only in chosen layers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from studio.imaging.metadata import encode_image, read_recipe
from studio.imaging.recipe_read import RecipeError
from studio.models.checkpoint import load_checkpoint
from studio.pipelines.mix import MixRecipe, recipe_from_dict, render_any
from studio.pipelines.render import Recipe, edited_latent
from studio.pipelines.variations import (
    VariationRecipe,
    render_variations,
    variation_latents,
)


@pytest.fixture
def gan(model_dir):
    return load_checkpoint(model_dir / "tiny-gan.safetensors", torch.device("cpu"))


@pytest.fixture
def vae(model_dir):
    return load_checkpoint(model_dir / "tiny-vae.safetensors", torch.device("cpu"))


def _batch(model, seed=7, spread=0.5, layers=None, count=8):
    return VariationRecipe(model.name, Recipe(model.name, 3), spread, seed, count, 0, layers)


def test_variations_are_deterministic_for_a_seed(gan):
    a = render_variations(gan, _batch(gan))
    b = render_variations(gan, _batch(gan))
    assert a.shape[0] == 8
    assert np.array_equal(a, b)
    assert not np.array_equal(a, render_variations(gan, _batch(gan, seed=8)))
    # The children differ from one another.
    assert len({img.tobytes() for img in a}) == 8


def test_the_batch_is_one_decoder_call(gan, monkeypatch):
    calls = []
    synth = gan.module.synthesize
    monkeypatch.setattr(
        gan.module, "synthesize", lambda ws, *a: calls.append(len(ws)) or synth(ws, *a)
    )
    render_variations(gan, _batch(gan))
    assert calls == [8]


def test_only_the_chosen_layers_vary(gan):
    parent = edited_latent(gan, Recipe(gan.name, 3))
    kids = variation_latents(gan, _batch(gan, layers=(1, 3)))
    assert torch.equal(kids[:, :1], parent.expand(8, -1, -1)[:, :1])
    assert torch.equal(kids[:, 3:], parent.expand(8, -1, -1)[:, 3:])
    assert not torch.equal(kids[:, 1:3], parent.expand(8, -1, -1)[:, 1:3])


def test_spread_zero_gives_the_parent(gan):
    kids = variation_latents(gan, _batch(gan, spread=0.0))
    assert torch.equal(kids, edited_latent(gan, Recipe(gan.name, 3)).expand(8, -1, -1))


def test_a_vae_varies_its_code(vae):
    kids = variation_latents(vae, _batch(vae))
    parent = edited_latent(vae, Recipe(vae.name, 3))
    assert kids.shape == (8, parent.shape[1])
    assert not torch.equal(kids[0], parent[0])
    with pytest.raises(RecipeError, match="no synthesis layers"):
        variation_latents(vae, _batch(vae, layers=(0, 1)))


def test_each_child_recipe_remakes_it_through_a_png(gan):
    images = render_variations(gan, _batch(gan, layers=(0, 2)))
    for i in (0, 5):
        child = VariationRecipe(gan.name, Recipe(gan.name, 3), 0.5, 7, 8, i, (0, 2))
        raw = read_recipe(encode_image(images[i], "png", child.to_dict()))
        again = recipe_from_dict(raw)
        assert again == child
        assert np.array_equal(render_any(gan, again), images[i])


def test_variations_of_a_mix(gan):
    n = int(gan.module.num_ws)
    mix = MixRecipe(gan.name, (Recipe(gan.name, 1), Recipe(gan.name, 2)), ((1.0,) * n,) * 2)
    child = VariationRecipe(gan.name, mix, 0.3, 1, 4, 2)
    again = recipe_from_dict(child.to_dict())
    assert np.array_equal(render_any(gan, again), render_variations(gan, child)[2])


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"count": 0}, "1 to 64"),
        ({"count": 65}, "1 to 64"),
        ({"spread": float("nan")}, "spread"),
        ({"spread": -1.0}, "spread"),
        ({"index": 8}, "index"),
        ({"layers": (3, 1)}, "layer range"),
    ],
)
def test_bad_settings_are_refused(gan, change, needle):
    from dataclasses import replace

    with pytest.raises(RecipeError, match=needle):
        replace(_batch(gan), **change).check()


def test_a_layer_range_past_the_model_is_refused(gan):
    n = int(gan.module.num_ws)
    with pytest.raises(RecipeError, match="synthesis layers"):
        variation_latents(gan, _batch(gan, layers=(0, n + 1)))
