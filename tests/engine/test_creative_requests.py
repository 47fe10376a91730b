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


def test_a_morph_runs_through_a_mix(engine) -> None:
    from studio.engine.requests import RenderMorph

    info = engine.call(LoadModel("tiny-gan"))
    mix = MixRecipe(
        "tiny-gan",
        (Recipe("tiny-gan", 1), Recipe("tiny-gan", 2)),
        ((0.0,) * info.num_layers, (1.0,) * info.num_layers),
    )
    request = RenderMorph.of([Recipe("tiny-gan", 5).to_dict(), mix.to_dict()], 3, "linear", "once")
    frames = engine.call(request, "render", TIMEOUT)
    assert len(frames) == 3
    # The last keyframe is the mix, which here is its second parent.
    alone = engine.call(RenderLatent.of(Recipe("tiny-gan", 2)), "render", TIMEOUT).image
    assert np.abs(frames[-1].astype(int) - alone.astype(int)).max() <= 2  # batched frames
