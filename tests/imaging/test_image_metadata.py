"""Images written by save_image carry the recipe and the AI-generated disclosure."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from studio.imaging.metadata import DIGITAL_SOURCE_TYPE, read_recipe, save_image

RECIPE = {"model": "tiny-gan", "seed": 7, "truncation": 0.7, "edits": [1.5, -2.0], "note": "<&>"}


def _img() -> np.ndarray:
    rng = np.random.default_rng(3)
    return rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".jpeg", ".webp"])
def test_recipe_and_disclosure_round_trip(tmp_path, suffix):
    path = save_image(_img(), tmp_path / f"out{suffix}", recipe=RECIPE)
    data = path.read_bytes()
    assert read_recipe(data) == RECIPE
    assert b"trainedAlgorithmicMedia" in data
    assert DIGITAL_SOURCE_TYPE.endswith("trainedAlgorithmicMedia")
    with Image.open(path) as img:
        assert img.size == (32, 24)
    assert [p.name for p in tmp_path.iterdir()] == [f"out{suffix}"]  # no temp files left


def test_png_pixels_exact_and_xmp_in_text_chunk(tmp_path):
    rgb = _img()
    path = save_image(rgb, tmp_path / "a.png", recipe=RECIPE)
    with Image.open(path) as img:
        assert np.array_equal(np.asarray(img.convert("RGB")), rgb)
        xmp = img.text["XML:com.adobe.xmp"]
        assert "DigitalSourceType" in xmp and DIGITAL_SOURCE_TYPE in xmp
        assert img.text["Software"].startswith("Latent Studio")


def test_no_recipe_no_ai_claim_unless_the_writer_says_so(tmp_path):
    # No recipe: the studio did not make the picture (a plain import), so no AI claim.
    data = save_image(_img(), tmp_path / "b.jpg").read_bytes()
    assert b"DigitalSourceType" not in data and b"AI-generated" not in data
    assert read_recipe(data) is None
    # A picture of many recipes (a contact sheet) passes its own source.
    data = save_image(_img(), tmp_path / "c.jpg", source=DIGITAL_SOURCE_TYPE).read_bytes()
    assert DIGITAL_SOURCE_TYPE.encode() in data
    assert read_recipe(data) is None


def test_read_recipe_of_foreign_bytes_is_none(tmp_path):
    Image.fromarray(_img()).save(tmp_path / "plain.png")
    assert read_recipe((tmp_path / "plain.png").read_bytes()) is None
    assert read_recipe(b"not an image at all") is None


def test_unknown_suffix_refused(tmp_path):
    with pytest.raises(ValueError, match="format"):
        save_image(_img(), tmp_path / "x.gifv")
