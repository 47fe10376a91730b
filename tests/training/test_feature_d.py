"""The second discriminator on our frozen feature network (``--feature-d``)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import TINY_GAN_FIELDS, save_tiny_features

from studio.cli import main
from studio.models.checkpoint import load_checkpoint
from studio.models.features import FeatureNet, FeaturesConfig
from studio.training.feature_d import FeatureDiscriminator
from studio.training.run import RunError, TrainConfig
from studio.training.session import open_run, run_training


def _net() -> FeatureNet:
    torch.manual_seed(0)
    return FeatureNet(FeaturesConfig(resolution=32, num_classes=3, width=4, feature_dim=16))


def test_the_heads_learn_and_the_network_stays_frozen() -> None:
    net = _net()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    fd = FeatureDiscriminator(net, num_classes=3)
    fd.train()
    assert not net.training  # batch-norm statistics stay as trained
    assert not any(k.startswith("_net") for k in fd.state_dict())  # not saved with the head
    images = torch.rand(4, 3, 32, 32, requires_grad=True)
    logits = fd(images * 2 - 1, torch.tensor([0, 1, 2, 0]))
    assert logits.shape == (4,)
    logits.sum().backward()
    assert images.grad is not None and images.grad.abs().sum() > 0  # reaches the generator
    assert all(p.grad is None for p in net.parameters())
    assert all(p.grad is not None for p in fd.parameters())
    # Labels matter through the projection.
    with torch.no_grad():
        x = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(1)) * 2 - 1
        assert fd.embed is not None
        fd.embed.weight.copy_(torch.arange(3.0)[:, None].expand(3, 16) * 100)
        plain = fd(x)
        assert fd(x, torch.tensor([0])) == plain  # class 0's embedding is zero here
        assert fd(x, torch.tensor([1])) > plain  # features are ≥ 0 after ReLU
    for k, v in net.state_dict().items():
        assert torch.equal(v, before[k]), k


def _cfg(data: Path, **kw) -> TrainConfig:
    fields = {
        "kind": "gan",
        "data": str(data),
        "steps": 2,
        "batch": 4,
        "checkpoint_every": 2,
        "preview_every": 2,
        "log_every": 1,
        "device": "cpu",
        "model": dict(TINY_GAN_FIELDS),
    }
    return TrainConfig(**{**fields, **kw})


def test_training_with_the_feature_discriminator(
    features_installed: Path, shapes_dir: Path, tmp_path: Path
) -> None:
    net_file = features_installed.read_bytes()
    states = {}
    for name, weight in (("plain", 0.0), ("fd", 1.0)):
        run = open_run(tmp_path / name, _cfg(shapes_dir, feature_d=weight), resume=False)
        reports = list(run_training(run))
        states[name] = run.load_state()
        assert ("loss_fd" in reports[-1].losses) == bool(weight)
    fd_state = states["fd"]
    assert fd_state["FD"] and fd_state["opt_fd"] and states["plain"]["FD"] is None
    assert np.isfinite(fd_state["G"]["synthesis.blocks.0.conv1.weight"].numpy()).all()
    # The second discriminator changes what G learns (same seed, same batches otherwise).
    assert any(not torch.equal(v, states["plain"]["G"][k]) for k, v in fd_state["G"].items())
    assert features_installed.read_bytes() == net_file  # the installed network is untouched
    assert load_checkpoint(features_installed).kind == "features"


def test_without_the_network_the_run_is_refused_before_any_folder(
    shapes_dir: Path, tmp_path: Path, capsys
) -> None:
    assert not list(Path(os.environ["LATENT_STUDIO_CHECKPOINTS"]).glob("studio-features*"))
    with pytest.raises(RunError, match="needs the feature network studio-features"):
        open_run(tmp_path / "run", _cfg(shapes_dir, feature_d=1.0), resume=False)
    assert not (tmp_path / "run").exists()
    args = ["train", "gan", "--data", str(shapes_dir), "--run", str(tmp_path / "cli")]
    assert main([*args, "--feature-d", "1", "--steps", "1"]) == 1
    err = capsys.readouterr().err.strip()
    assert "studio-features" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "cli").exists()
    with pytest.raises(RunError, match="for GANs"):
        TrainConfig(kind="vae", data=str(shapes_dir), feature_d=1.0)
    with pytest.raises(RunError, match="≥ 0"):
        TrainConfig(kind="gan", data=str(shapes_dir), feature_d=-1.0)


def test_the_feature_network_can_be_chosen_by_name(
    model_dir: Path, shapes_dir: Path, tmp_path: Path
) -> None:
    save_tiny_features(model_dir, "emoji-id")
    cfg = _cfg(shapes_dir, feature_d=0.5, feature_net="emoji-id", steps=1)
    reports = list(run_training(open_run(tmp_path / "run", cfg, resume=False)))
    assert "loss_fd" in reports[-1].losses
    # A model that draws is no feature network: refused by name, and nothing is written.
    with pytest.raises(RunError, match="feature network tiny-gan"):
        open_run(tmp_path / "bad", _cfg(shapes_dir, feature_d=1.0, feature_net="tiny-gan"), False)
    assert not (tmp_path / "bad").exists()
