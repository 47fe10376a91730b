"""A direction's strip: its frames in one batch, each the picture with that slider there."""

from __future__ import annotations

import numpy as np
import pytest

from studio.engine.handlers import StripResult
from studio.engine.requests import RenderDirectionStrip, RenderLatent

TIMEOUT = 30.0


@pytest.mark.parametrize("model", ["tiny-gan", "tiny-vae"])
def test_each_frame_is_the_picture_with_the_slider_there(engine, model: str) -> None:
    base = RenderLatent(model, seed=4, truncation=0.8, edits=(0.0, 0.7) + (0.0,) * 10)
    result = engine.call(RenderDirectionStrip(base, 2, (-2.0, 0.0, 2.0)), "render", TIMEOUT)
    assert isinstance(result, StripResult)
    assert result.images.shape == (3, 32, 32, 3) and result.images.dtype == np.uint8
    assert not np.array_equal(result.images[0], result.images[2])
    for frame, amount in zip(result.images, (-2.0, 0.0, 2.0), strict=True):
        edits = list(base.edits)
        edits[2] = amount
        alone = engine.call(RenderLatent(model, 4, 0.8, tuple(edits)), "render", TIMEOUT).image
        # One batch instead of one render each: allow a rounding step.
        assert np.abs(frame.astype(int) - alone.astype(int)).max() <= 2


def test_a_direction_the_model_lacks_is_one_plain_error(engine, events) -> None:
    base = RenderLatent("tiny-vae", edits=(0.0,) * 12)  # an 8-number code: 8 directions
    job = engine.submit(RenderDirectionStrip(base, 10), "render")
    assert events.wait_done(job) == "failed"
    (failed,) = events.of(job, "failed")
    assert failed.error == "tiny-vae has no direction 11."
    job = engine.submit(RenderDirectionStrip(base, 0, ()), "render")
    assert events.wait_done(job) == "failed"
