"""The coverage (IMLE) loss: nearest-latent assignment, and its effect on training."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import TINY_GAN_FIELDS

from studio.training.coverage import POOL_PER_IMAGE, Coverage, coverage_loss
from studio.training.run import RunError, TrainConfig
from studio.training.session import open_run, run_training


def _flat_images(colours: np.ndarray, size: int = 8) -> np.ndarray:
    """uint8 (N, size, size, 3) images of one colour each."""
    return np.broadcast_to(colours[:, None, None, :], (len(colours), size, size, 3)).copy()


def _draw(z: torch.Tensor) -> torch.Tensor:
    """A stand-in generator: the first three latent numbers are the colour."""
    return torch.tanh(z[:, :3])[:, :, None, None].expand(-1, -1, 8, 8)


def _to_tensor(batch: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(batch).permute(0, 3, 1, 2).float() / 127.5 - 1


def test_each_image_gets_the_pool_latent_drawn_nearest_to_it() -> None:
    images = _flat_images(np.array([[255, 0, 0], [0, 0, 255], [128, 128, 128]], np.uint8))
    cov = Coverage(images, z_dim=5, every=10, seed=3)
    cov.refresh(0, _draw, _to_tensor)
    assert cov.latents is not None and cov.latents.shape == (3, 5)

    # Brute force over the same pool: the assigned latents are the nearest ones.
    gen = torch.Generator().manual_seed(3 * 1_000_003)
    pool = torch.randn(3 * POOL_PER_IMAGE, 5, generator=gen)
    drawn = _draw(pool).flatten(1)
    target = _to_tensor(images).flatten(1)
    nearest = torch.cdist(target, drawn).argmin(dim=1)
    assert torch.equal(cov.latents, pool[nearest])
    assert 0 < cov.match < 2


def test_a_new_assignment_never_draws_an_image_worse_than_the_last() -> None:
    images = _flat_images(np.random.default_rng(1).integers(0, 256, (40, 3), dtype=np.uint8))
    cov = Coverage(images, z_dim=5, every=2, seed=0)
    target = _to_tensor(images).flatten(1)

    def errors() -> torch.Tensor:
        assert cov.latents is not None
        return (_draw(cov.latents).flatten(1) - target).norm(dim=1)

    cov.refresh(0, _draw, _to_tensor)
    before, kept = errors(), cov.latents
    cov.refresh(2, _draw, _to_tensor)
    after = errors()
    assert (after <= before).all()
    assert bool((after < before).any())  # the fresh half found some closer latents
    assert bool((cov.latents == kept).all(dim=1).any())  # and some were kept


def test_assignment_is_a_function_of_seed_and_step() -> None:
    images = _flat_images(np.random.default_rng(0).integers(0, 256, (6, 3), dtype=np.uint8))
    a, b = (Coverage(images, 5, every=2, seed=1) for _ in range(2))
    a.refresh(4, _draw, _to_tensor)
    b.refresh(4, _draw, _to_tensor)
    assert a.latents is not None and b.latents is not None
    assert torch.equal(a.latents, b.latents)
    b.refresh(6, _draw, _to_tensor)
    assert not torch.equal(a.latents, b.latents)
    # Due at the start, then every ``every`` steps, but not twice at the same step.
    fresh = Coverage(images, 5, every=2, seed=1)
    assert fresh.due(3)
    assert not a.due(4) and not a.due(5) and a.due(6)


def test_loss_is_zero_only_for_the_image_itself() -> None:
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    assert float(coverage_loss(x, x)) == 0
    assert float(coverage_loss(x, -x)) > 0.5


def _train(tmp: Path, data: Path, coverage: float) -> list[dict[str, float]]:
    cfg = TrainConfig(
        kind="gan",
        data=str(data),
        steps=40,
        batch=4,
        seed=2,
        checkpoint_every=40,
        preview_every=40,
        model=dict(TINY_GAN_FIELDS),
        device="cpu",
        coverage=coverage,
        coverage_every=20,
    )
    return [r.losses for r in run_training(open_run(tmp, cfg, resume=False))]


def test_coverage_pulls_g_toward_the_training_images(shapes_dir: Path, tmp_path: Path) -> None:
    losses = _train(tmp_path / "cov", shapes_dir, coverage=5.0)
    first = np.mean([r["coverage"] for r in losses[:5]])
    last = np.mean([r["coverage"] for r in losses[-5:]])
    assert last < 0.8 * first, (first, last)
    # The second assignment (at step 20) finds closer samples than the first.
    assert losses[-1]["coverage_match"] < losses[0]["coverage_match"]
    plain = _train(tmp_path / "plain", shapes_dir, coverage=0.0)
    assert "coverage" not in plain[0]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"coverage": -1.0}, "must be ≥ 0"),
        ({"coverage": 1.0, "coverage_every": 0}, "must be ≥ 0"),
        ({"coverage": 1.0, "conditional": True}, "unconditional GANs"),
        ({"coverage": 1.0, "kind": "vae"}, "unconditional GANs"),
    ],
)
def test_bad_coverage_settings_are_refused(fields: dict, message: str) -> None:
    with pytest.raises(RunError, match=message):
        TrainConfig(**{"kind": "gan", "data": "x", **fields})
