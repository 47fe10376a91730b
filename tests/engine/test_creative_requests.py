"""The engine's mix and variations requests: what the window will submit."""

from __future__ import annotations

import numpy as np

from studio.engine.handlers import ImagesResult
from studio.engine.requests import LoadModel, RenderLatent, RenderMix, RenderVariations
from studio.pipelines.mix import MixRecipe
from studio.pipelines.render import Recipe
from studio.pipelines.variations import VariationRecipe

TIMEOUT = 30.0


def test_a_mix_request_gives_the_child(engine) -> None:
    parents = (Recipe("tiny-gan", 1), Recipe("tiny-gan", 2, edits=(0.0, 1.0)))
    info = engine.call(LoadModel("tiny-gan"))
    weights = ((0.0,) * info.num_layers, (1.0,) * info.num_layers)
    result = engine.call(RenderMix(MixRecipe("tiny-gan", parents, weights)), "render", TIMEOUT)
    assert isinstance(result, ImagesResult) and result.images.shape == (1, 32, 32, 3)
    alone = engine.call(RenderLatent.of(parents[1]), "render", TIMEOUT).image
    assert np.array_equal(result.images[0], alone)


def test_a_variations_request_gives_the_batch(engine, events) -> None:
    recipe = VariationRecipe("tiny-vae", Recipe("tiny-vae", 3), 0.5, 1, 6)
    result = engine.call(RenderVariations(recipe), "render", TIMEOUT)
    assert result.images.shape == (6, 32, 32, 3)
    bad = VariationRecipe("tiny-vae", Recipe("tiny-vae", 3), 0.5, 1, 6, layers=(0, 1))
    job = engine.submit(RenderVariations(bad), "render")
    assert events.wait_done(job) == "failed"
    (failed,) = events.of(job, "failed")
    assert "no synthesis layers" in failed.error
