"""Crossbreed: weighted blends of parents' latents, per layer band for a GAN."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from studio.imaging.metadata import encode_image, read_recipe
from studio.imaging.recipe_read import RecipeError
from studio.models.checkpoint import load_checkpoint
from studio.pipelines.mix import (
    MixRecipe,
    band_ranges,
    layer_weights,
    mix_latent,
    parse_weights,
    recipe_from_dict,
    render_any,
    render_mix,
)
from studio.pipelines.render import Recipe, edited_latent, render_image


@pytest.fixture
def gan(model_dir):
    return load_checkpoint(model_dir / "tiny-gan.safetensors", torch.device("cpu"))


@pytest.fixture
def vae(model_dir):
    return load_checkpoint(model_dir / "tiny-vae.safetensors", torch.device("cpu"))


def _mix(model, weights, seeds=(1, 2)):
    parents = tuple(Recipe(model.name, s) for s in seeds)
    return MixRecipe(model.name, parents, weights)


def _layers(model, per_parent):
    n = int(model.module.num_ws)
    return tuple(tuple([w] * n) for w in per_parent)


def test_band_ranges_split_every_layer_once():
    for n in range(3, 20):
        ranges = band_ranges(n)
        covered = [i for lo, hi in ranges.values() for i in range(lo, hi)]
        assert covered == list(range(n))
        assert all(hi > lo for lo, hi in ranges.values())


@pytest.mark.parametrize("which", [0, 1])
def test_weight_one_gives_that_parents_pixels_exactly(gan, which):
    recipe = _mix(gan, _layers(gan, [1.0 - which, float(which)]))
    child = render_mix(gan, recipe)
    parent = render_image(gan, recipe.parents[which])
    assert np.array_equal(child, parent)
    assert not np.array_equal(child, render_image(gan, recipe.parents[1 - which]))


def test_weight_one_is_exact_for_a_vae(vae):
    recipe = _mix(vae, ((0.0,), (3.0,)))
    assert np.array_equal(render_mix(vae, recipe), render_image(vae, recipe.parents[1]))


def test_an_even_mix_lies_between_its_parents(gan):
    recipe = _mix(gan, _layers(gan, [0.5, 0.5]))
    a, b = (edited_latent(gan, p) for p in recipe.parents)
    child = mix_latent(gan, recipe)
    assert torch.allclose(child, (a + b) / 2, atol=1e-6)
    assert not torch.allclose(child, a) and not torch.allclose(child, b)


def test_weights_are_normalised_per_layer(gan):
    even = mix_latent(gan, _mix(gan, _layers(gan, [0.5, 0.5])))
    scaled = mix_latent(gan, _mix(gan, _layers(gan, [4.0, 4.0])))
    assert torch.allclose(even, scaled, atol=1e-6)


def test_band_weights_touch_only_their_layers(gan):
    n = int(gan.module.num_ws)
    weights = layer_weights(2, n, parse_weights("coarse=1:0,middle=0:1,fine=1:0"))
    recipe = _mix(gan, weights)
    a, b = (edited_latent(gan, p) for p in recipe.parents)
    child = mix_latent(gan, recipe)
    ranges = band_ranges(n)
    lo, hi = ranges["middle"]
    assert torch.equal(child[:, lo:hi], b[:, lo:hi])
    assert torch.equal(child[:, :lo], a[:, :lo])
    assert torch.equal(child[:, hi:], a[:, hi:])


def test_a_single_layer_weight_overrides_its_band(gan):
    n = int(gan.module.num_ws)
    weights = layer_weights(2, n, parse_weights("coarse=1:0,middle=1:0,fine=1:0,0=0:1"))
    assert weights[0][0] == 0.0 and weights[1][0] == 1.0
    assert all(w == 1.0 for w in weights[0][1:])


@pytest.mark.parametrize(
    "text",
    ["coarse", "coarse=a:b", "coarse=-1:2", "coarse=nan:1", "wobbly=1:0", "coarse=1:0:1"],
)
def test_bad_weights_are_refused_in_one_line(gan, text):
    with pytest.raises(ValueError) as info:
        layer_weights(2, int(gan.module.num_ws), parse_weights(text))
    assert "\n" not in str(info.value)


def test_all_zero_weights_are_refused(gan):
    with pytest.raises(RecipeError, match="weight is 0"):
        mix_latent(gan, _mix(gan, _layers(gan, [0.0, 0.0])))


def test_parents_of_different_models_are_refused(gan):
    parents = (Recipe(gan.name, 1), Recipe("other-model", 2))
    with pytest.raises(RecipeError, match="different models"):
        MixRecipe(gan.name, parents, _layers(gan, [1.0, 1.0])).check()


def test_vae_blend_is_the_weighted_mean_of_the_codes(vae):
    recipe = _mix(vae, ((1.0,), (3.0,)))
    a, b = (edited_latent(vae, p) for p in recipe.parents)
    assert torch.allclose(mix_latent(vae, recipe), 0.25 * a + 0.75 * b, atol=1e-6)


def test_a_mix_recipe_round_trips_through_a_png(gan):
    parents = (Recipe(gan.name, 1, 0.7), Recipe(gan.name, 5, layers=(0, 2)))
    weights = layer_weights(2, int(gan.module.num_ws), parse_weights("coarse=0.2:0.8"))
    recipe = MixRecipe(gan.name, parents, weights)
    image = render_mix(gan, recipe)
    raw = read_recipe(encode_image(image, "png", recipe.to_dict()))
    again = recipe_from_dict(raw)
    assert again == recipe
    assert np.array_equal(render_any(gan, again), image)


def test_a_mix_of_mixes_is_remade(gan):
    inner = _mix(gan, _layers(gan, [1.0, 2.0]))
    outer = MixRecipe(gan.name, (inner, Recipe(gan.name, 9)), _layers(gan, [1.0, 1.0]))
    again = recipe_from_dict(outer.to_dict())
    assert np.array_equal(render_any(gan, again), render_mix(gan, outer))


def test_a_mix_is_not_read_as_a_plain_recipe(gan):
    # Before kinds, a mix read as a plain recipe would have been seed 0 of its model.
    with pytest.raises(RecipeError, match="kind"):
        Recipe.from_dict(_mix(gan, _layers(gan, [1.0, 1.0])).to_dict())


def test_older_plain_recipes_still_load():
    old = {"version": 1, "model": "m", "seed": 3, "truncation": 0.5, "edits": [1.0]}
    assert recipe_from_dict(old) == Recipe("m", 3, 0.5, (1.0,))


@pytest.mark.parametrize(
    "change",
    [
        {"parents": []},
        {"weights": [[1.0]]},
        {"weights": [["x"], [1.0]]},
        {"parents": [{"model": "tiny-gan"}, "nope"]},
        {"parents": [{"model": "tiny-gan"}, {"model": "other"}]},
    ],
)
def test_malformed_mix_recipes_are_refused(gan, change):
    d = {**_mix(gan, ((1.0,), (1.0,))).to_dict(), **change}
    with pytest.raises(RecipeError):
        recipe_from_dict(d)


def test_a_recipe_of_too_many_parts_is_refused(gan):
    # Within the byte limit a deep tree of mixes could ask for thousands of passes.
    leaf = {"model": gan.name, "seed": 1}
    tree = leaf
    for _ in range(7):
        tree = {"kind": "mix", "model": gan.name, "parents": [tree, tree], "weights": [[1], [1]]}
    with pytest.raises(RecipeError, match="at most 64"):
        recipe_from_dict(tree)
