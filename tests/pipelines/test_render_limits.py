"""A recipe from outside asks only for what the window could: checked ranges, bounded work."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio.imaging.recipe_read import RecipeError
from studio.models.checkpoint import load_checkpoint
from studio.pipelines import render
from studio.pipelines.render import (
    EDIT_LIMIT,
    MAX_GRID_BATCH,
    TRUNCATION_RANGE,
    Recipe,
    render_image,
    render_recipe,
)

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture
def gan(model_dir):
    return load_checkpoint(model_dir / "tiny-gan.safetensors")


def test_the_limits_are_the_windows() -> None:
    session = pytest.importorskip("studio.app.session")
    assert session.TRUNCATION_RANGE == TRUNCATION_RANGE
    assert session.EDIT_LIMIT == EDIT_LIMIT


def test_a_huge_grid_batch_is_refused_before_any_work(gan, monkeypatch) -> None:
    calls = []
    monkeypatch.setattr(render, "generate_images", lambda *a, **k: calls.append(a))
    with pytest.raises(RecipeError, match="grid batch"):
        Recipe.from_dict({"model": "tiny-gan", "grid": [4096, 1_000_000_000, 4095]})
    built = Recipe("tiny-gan", 1, grid=(4096, 1_000_000_000, 4095))  # made in code
    with pytest.raises(RecipeError, match="grid batch"):
        render_recipe(gan, built)
    assert not calls


@pytest.mark.parametrize(
    "grid",
    [[0, 1, 0], [5, 1, 5], [5, 0, 1], [5, 1, -1], [5000, 64, 1], [1.5, 1, 0], "abc", [1, 1]],
)
def test_inconsistent_grids_are_refused(grid) -> None:
    with pytest.raises(RecipeError):
        Recipe.from_dict({"model": "m", "grid": grid})


def test_a_grid_within_bounds_runs_one_batch_at_most(gan, monkeypatch) -> None:
    seen = []
    real = render.generate_images
    monkeypatch.setattr(
        render, "generate_images", lambda m, req, *a: seen.append(req) or real(m, req, *a)
    )
    recipe = Recipe.from_dict({"model": "tiny-gan", "seed": 2, "grid": [4096, 2, 4095]})
    assert render_recipe(gan, recipe).shape == (32, 32, 3)
    assert [r.count for r in seen] == [2]
    assert MAX_GRID_BATCH >= 64  # what generate writes


@pytest.mark.parametrize("field", ["truncation", "edits"])
@pytest.mark.parametrize("bad", ["NaN", "Infinity", "1e999"])
def test_non_finite_truncation_or_edits_are_refused(field: str, bad: str) -> None:
    value = float(bad)
    d = {"model": "m", field: value if field == "truncation" else [0.5, value]}
    with pytest.raises(RecipeError, match="finite"):
        Recipe.from_dict(d)


@pytest.mark.parametrize(
    ("recipe", "needle"),
    [
        (Recipe("m", truncation=1e300), "truncation"),
        (Recipe("m", truncation=-0.5), "truncation"),
        (Recipe("m", truncation=math.nan), "truncation"),
        (Recipe("m", edits=(0.0, 1e300)), "edit"),
        (Recipe("m", edits=(-3.5,)), "edit"),
        (Recipe("m", edits=(math.nan,)), "edit"),
        (Recipe("m", layers=(5, 2)), "layer"),
    ],
)
def test_out_of_range_values_are_refused_when_rendered(gan, recipe: Recipe, needle: str) -> None:
    with pytest.raises(RecipeError, match=needle):
        recipe.check()
    with pytest.raises(RecipeError, match=needle):
        render_image(gan, recipe)
    with pytest.raises(RecipeError, match=needle):
        render_recipe(gan, recipe)


def test_values_at_the_limits_render(gan) -> None:
    lo, hi = TRUNCATION_RANGE
    for recipe in (Recipe("m", 1, lo, (EDIT_LIMIT,)), Recipe("m", 1, hi, (-EDIT_LIMIT,))):
        recipe.check()
        assert render_image(gan, recipe).shape == (32, 32, 3)


def test_a_latent_of_another_size_is_refused(gan) -> None:
    size = gan.module.latent_size
    with pytest.raises(RecipeError, match=f"{size + 1} numbers; .* takes {size}"):
        render_image(gan, Recipe("m", latent=(0.0,) * (size + 1)))
    with pytest.raises(RecipeError, match="latent"):
        Recipe.from_dict({"model": "m", "latent": [1e300] * size})
    assert render_image(gan, Recipe("m", latent=(0.0,) * size)).shape == (32, 32, 3)


@pytest.mark.parametrize(
    "d",
    [
        {"model": 5},
        {"model": "m", "seed": "7"},
        {"model": "m", "seed": True},
        {"model": "m", "seed": 2.5},
        {"model": "m", "seed": 2**70},
        {"model": "m", "truncation": "1"},
        {"model": "m", "edits": 3},
        {"model": "m", "edits": [0.0] * 10_000},
        {"model": "m", "layers": [1, 2, 3]},
        {"model": "m", "layers": [0, 10**9]},
        {"model": "m", "latent": []},
        {"model": "m", "latent": "abc"},
        {"model": "m", "label": -1},
        {"model": "m", "label": 10**12},
    ],
)
def test_malformed_fields_are_refused_in_one_line(d) -> None:
    with pytest.raises(RecipeError, match="^The recipe is not valid: [^\n]+$"):
        Recipe.from_dict(d)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=24,
)
recipe_like = st.fixed_dictionaries(
    {"model": st.text(max_size=8) | json_values},
    optional={
        k: json_values for k in ("seed", "truncation", "edits", "layers", "latent", "label", "grid")
    },
)


@given(json_values | recipe_like)
@FAST
def test_any_json_value_is_a_valid_recipe_or_a_recipe_error(value) -> None:
    try:
        recipe = Recipe.from_dict(value)
    except RecipeError as exc:
        assert str(exc).startswith("The recipe is not valid") and "\n" not in str(exc)
        return
    assert isinstance(recipe.model, str)
    assert math.isfinite(recipe.truncation) and all(math.isfinite(v) for v in recipe.edits)
    if recipe.grid is not None:
        count, batch, index = recipe.grid
        assert 0 <= index < count <= 4096 and 1 <= batch <= MAX_GRID_BATCH
    try:
        recipe.check()
    except RecipeError:
        return
    lo, hi = TRUNCATION_RANGE
    assert lo <= recipe.truncation <= hi
    assert all(abs(v) <= EDIT_LIMIT for v in recipe.edits)
    assert Recipe.from_dict(recipe.to_dict()) == recipe
    assert np.isfinite(recipe.truncation)
