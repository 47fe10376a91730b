"""The VAE's sampling Gaussian: identity by default, fitted at export, old files load."""

from __future__ import annotations

from pathlib import Path

import torch
from conftest import TINY_VAE, TINY_VAE_FIELDS, tiny_vae
from safetensors.torch import save_file

from studio.models.base import seeded_normal
from studio.models.checkpoint import META_KEY, load_checkpoint, metadata_for
from studio.training.export import export_run
from studio.training.run import TrainConfig
from studio.training.session import open_run, run_training


def test_default_prior_is_the_standard_normal() -> None:
    vae = tiny_vae()
    assert torch.equal(vae.sample_latents(3, 7), seeded_normal(3, TINY_VAE.latent_dim, 7))


def test_a_fitted_prior_shapes_samples_and_truncation() -> None:
    vae = tiny_vae()
    mean = torch.linspace(-1, 1, TINY_VAE.latent_dim)
    vae.set_prior(mean, torch.eye(TINY_VAE.latent_dim) * 0.1)
    z = vae.sample_latents(2000, 0)
    assert torch.allclose(z.mean(0), mean, atol=0.02)
    assert torch.allclose(z.std(0), torch.full_like(mean, 0.1), atol=0.01)
    # Truncation 0 gives the mean's image whatever the latent.
    a, b = vae.decode(z[:1], truncation=0.0), vae.decode(z[1:2], truncation=0.0)
    assert torch.allclose(a, b) and torch.allclose(a, vae.decode(mean[None]))


def test_files_without_a_prior_still_load(tmp_path: Path) -> None:
    import json

    vae = tiny_vae()
    state = {k: v for k, v in vae.state_dict().items() if not k.startswith("prior_")}
    meta = metadata_for(vae, name="old")
    path = tmp_path / "old.safetensors"
    save_file(
        {k: v.contiguous() for k, v in state.items()},
        str(path),
        metadata={META_KEY: json.dumps({**meta, "dtype": "float32"})},
    )
    loaded = load_checkpoint(path)
    assert torch.equal(loaded.module.prior_scale, torch.eye(TINY_VAE.latent_dim))
    assert torch.equal(loaded.module.sample_latents(2, 1), vae.sample_latents(2, 1))


def test_export_fits_the_prior_to_the_codes(shapes_dir: Path, tmp_path: Path) -> None:
    cfg = TrainConfig(
        kind="vae",
        data=str(shapes_dir),
        steps=2,
        batch=4,
        holdout=0.2,
        model=dict(TINY_VAE_FIELDS),
    )
    run = open_run(tmp_path / "run", cfg, resume=False)
    list(run_training(run))
    path, meta = export_run(tmp_path / "run", "v", out=tmp_path / "m")
    assert "fitted" in meta["directions"]["sampling"]
    module = load_checkpoint(path).module
    assert not torch.equal(module.prior_scale, torch.eye(8))
    # The fitted scale is a Cholesky factor: lower-triangular with a positive diagonal.
    assert torch.equal(module.prior_scale, torch.tril(module.prior_scale))
    assert (torch.diagonal(module.prior_scale) > 0).all()
