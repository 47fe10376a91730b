"""Augmentation keeps shapes and is a pure function of the generator's seed."""

from __future__ import annotations

import pytest
import torch

from studio.training.augment import diff_augment, random_flip

POLICY = "color,translation,cutout"


def _images() -> torch.Tensor:
    return torch.rand(6, 3, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("policy", ["color", "translation", "cutout", POLICY])
def test_shape_kept_and_deterministic_per_seed(policy):
    x = _images()
    a = diff_augment(x, policy, _gen(1))
    b = diff_augment(x, policy, _gen(1))
    c = diff_augment(x, policy, _gen(2))
    assert a.shape == x.shape and a.dtype == x.dtype
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    assert not torch.equal(a, x)


def test_strength_zero_or_empty_policy_is_identity():
    x = _images()
    assert torch.equal(diff_augment(x, POLICY, _gen(0), strength=0.0), x)
    assert torch.equal(diff_augment(x, "", _gen(0)), x)


def test_unknown_augmentation_refused():
    with pytest.raises(ValueError, match="blur"):
        diff_augment(_images(), "color,blur", _gen(0))


def test_gradients_flow_through_augmentation():
    x = _images().requires_grad_(True)
    diff_augment(x, POLICY, _gen(3)).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_cutout_zeroes_a_square():
    x = torch.ones(4, 3, 16, 16)
    y = diff_augment(x, "cutout", _gen(5))
    zeros = (y == 0).all(dim=1).flatten(1).sum(1)
    assert torch.all(zeros == 64)  # an 8×8 square (half the side) in every image


def test_random_flip_mirrors_some_images_exactly():
    x = _images()
    y = random_flip(x, _gen(7))
    assert torch.equal(y, random_flip(x, _gen(7)))
    flipped = [torch.equal(y[i], x[i].flip(2)) for i in range(6)]
    kept = [torch.equal(y[i], x[i]) for i in range(6)]
    assert all(f or k for f, k in zip(flipped, kept, strict=True))
    results = {tuple(random_flip(x, _gen(s)).flatten(1)[:, 0].tolist()) for s in range(6)}
    assert len(results) > 1
