"""Latent directions (PCA) and rendering with slider edits."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from studio.models.checkpoint import load_checkpoint
from studio.pipelines.cancel import Cancelled, CancelToken
from studio.pipelines.directions import Directions, gan_directions, pca, vae_directions
from studio.pipelines.render import Recipe, render_image
from studio.pipelines.sample import GenerateRequest, generate_images


@pytest.fixture
def gan(model_dir):
    return load_checkpoint(model_dir / "tiny-gan.safetensors")


@pytest.fixture
def vae(model_dir):
    return load_checkpoint(model_dir / "tiny-vae.safetensors")


def _anisotropic(n: int = 500, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    scales = np.array([5.0, 3.0, 2.0, 1.0, 0.5, 0.1])
    rot, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    return (rng.normal(size=(n, 6)) * scales) @ rot.T + 4.0


def test_pca_components_orthonormal_and_stds_descending():
    d = pca(_anisotropic(), k=4, space="w")
    assert d.components.shape == (4, 6) and d.k == 4
    assert np.allclose(d.components @ d.components.T, np.eye(4), atol=1e-5)
    assert np.all(np.diff(d.stds) <= 0)
    assert np.allclose(d.stds, [5.0, 3.0, 2.0, 1.0], rtol=0.15)
    assert np.allclose(d.mean, 4.0, atol=0.6)


def test_pca_is_deterministic_and_sign_fixed():
    x = _anisotropic()
    a, b = pca(x, 3, "w"), pca(x.copy(), 3, "w")
    assert np.array_equal(a.components, b.components) and np.array_equal(a.stds, b.stds)
    # Flipping the data flips the SVD, but sign fixing gives the same sliders.
    c = pca(-x, 3, "w")
    assert np.allclose(np.abs(c.components), np.abs(a.components), atol=1e-4)
    for comp in c.components:
        assert comp[np.abs(comp).argmax()] > 0


def test_offset_scales_by_std_along_components():
    d = pca(_anisotropic(), k=3, space="w")
    off = d.offset([2.0])
    assert np.allclose(off, 2.0 * d.stds[0] * d.components[0], atol=1e-5)
    assert np.allclose(d.offset([]), 0)
    assert np.allclose(d.offset([0, 0, 0, 9, 9]), 0)  # values past k are ignored


def test_directions_save_and_load(tmp_path):
    d = pca(_anisotropic(), k=3, space="z")
    p = tmp_path / "d.npz"
    p.write_bytes(d.to_bytes())
    e = Directions.from_file(p)
    assert e.space == "z"
    assert np.array_equal(e.components, d.components) and np.array_equal(e.stds, d.stds)


def test_gan_directions_deterministic_and_orthonormal(gan):
    a = gan_directions(gan, k=5, samples=600, seed=1)
    b = gan_directions(gan, k=5, samples=600, seed=1)
    assert a.space == "w" and a.components.shape == (5, 16)
    assert np.array_equal(a.components, b.components) and np.array_equal(a.stds, b.stds)
    assert np.allclose(a.components @ a.components.T, np.eye(5), atol=1e-4)
    assert np.all(np.diff(a.stds) <= 0) and a.stds[-1] > 0
    c = gan_directions(gan, k=5, samples=600, seed=2)
    assert not np.array_equal(a.mean, c.mean)


def test_gan_directions_cancel(gan):
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        gan_directions(gan, k=3, samples=2000, cancel=token)


def test_vae_directions_default_to_latent_axes(vae):
    d = vae_directions(vae, k=3)
    assert d.space == "z" and np.array_equal(d.components, np.eye(8, dtype=np.float32)[:3])
    assert vae_directions(vae, k=50).k == 8


@pytest.mark.parametrize(
    "stored",
    [
        {"mean": [0.0] * 8},  # parts missing
        {"mean": [0.0] * 7, "components": np.eye(8)[:3].tolist(), "stds": [1.0] * 3},
        {"mean": [0.0] * 8, "components": [[1.0, 2.0]], "stds": [1.0]},
        {"mean": [0.0] * 8, "components": np.eye(8)[:3].tolist(), "stds": [1.0] * 2},
        {"mean": [float("nan")] * 8, "components": np.eye(8)[:3].tolist(), "stds": [1.0] * 3},
        {"mean": "abc", "components": "x", "stds": None},
    ],
)
def test_malformed_stored_vae_directions_fall_back_to_latent_axes(vae, stored):
    odd = dataclasses.replace(vae, meta={**vae.meta, "directions": stored})
    d = vae_directions(odd, k=3)
    assert np.array_equal(d.components, np.eye(8, dtype=np.float32)[:3])
    good = {"mean": [0.5] * 8, "components": np.eye(8)[::-1].tolist(), "stds": [2.0] * 8}
    d = vae_directions(dataclasses.replace(vae, meta={**vae.meta, "directions": good}), k=3)
    assert d.k == 3 and d.components[0, 7] == 1.0 and d.mean[0] == 0.5


def test_zero_edits_equal_the_plain_sample(gan, vae):
    for model in (gan, vae):
        dirs = gan_directions(gan, 4, 500) if model is gan else vae_directions(vae, 4)
        plain = generate_images(model, GenerateRequest(count=1, seed=5, truncation=0.7))[0]
        assert np.array_equal(render_image(model, Recipe("m", 5, 0.7)), plain)
        assert np.array_equal(
            render_image(model, Recipe("m", 5, 0.7, edits=(0.0, 0.0)), dirs), plain
        )


def test_edits_change_the_image(gan, vae):
    for model, dirs in ((gan, gan_directions(gan, 4, 500)), (vae, vae_directions(vae, 4))):
        plain = render_image(model, Recipe("m", 5))
        edited = render_image(model, Recipe("m", 5, 1.0, edits=(3.0,)), dirs)
        other = render_image(model, Recipe("m", 5, 1.0, edits=(0.0, 3.0)), dirs)
        assert not np.array_equal(edited, plain)
        assert not np.array_equal(edited, other)
        assert np.array_equal(render_image(model, Recipe("m", 5, 1.0, edits=(3.0,)), dirs), edited)


def test_gan_edit_limited_to_a_layer_range(gan):
    dirs = gan_directions(gan, 4, 500)
    full = render_image(gan, Recipe("m", 2, 1.0, edits=(3.0, -2.0)), dirs)
    everywhere = render_image(gan, Recipe("m", 2, 1.0, edits=(3.0, -2.0), layers=(0, 8)), dirs)
    coarse = render_image(gan, Recipe("m", 2, 1.0, edits=(3.0, -2.0), layers=(0, 3)), dirs)
    fine = render_image(gan, Recipe("m", 2, 1.0, edits=(3.0, -2.0), layers=(5, 8)), dirs)
    plain = render_image(gan, Recipe("m", 2))
    assert np.array_equal(full, everywhere)
    assert not np.array_equal(coarse, full)
    assert not np.array_equal(fine, full)
    assert not np.array_equal(coarse, fine)
    assert not np.array_equal(coarse, plain)
    assert np.array_equal(
        render_image(gan, Recipe("m", 2, 1.0, edits=(3.0,), layers=(4, 4)), dirs), plain
    )


def test_explicit_latent_overrides_the_seed(gan):
    z = gan.module.sample_latents(1, 77).numpy()[0]
    with_latent = render_image(gan, Recipe("m", 0, latent=tuple(z.tolist())))
    assert np.array_equal(with_latent, render_image(gan, Recipe("m", 77)))


def test_recipe_round_trips_through_json_form():
    r = Recipe("tiny-gan", 3, 0.5, (1.0, -2.0), (0, 4), (0.0, 1.0, 2.5, -3.0), grid=(9, 4, 5))
    back = Recipe.from_dict(r.to_dict())
    assert back == r  # a plain value: equal, field for field
    assert (back.model, back.seed, back.truncation, back.edits, back.layers) == (
        "tiny-gan",
        3,
        0.5,
        (1.0, -2.0),
        (0, 4),
    )
    assert np.array_equal(back.latent, r.latent)
    with pytest.raises(ValueError, match="recipe"):
        Recipe.from_dict({"seed": 1})
