"""Training the FastGAN-style architecture with the shared GAN trainer: steps with its
reconstruction loss, exact resume after a kill, export, fine-tuning, and the CLI."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
import torch
from conftest import TINY_GAN_FIELDS

from studio.cli import main
from studio.models.checkpoint import load_checkpoint
from studio.models.fastgan import FastGenerator
from studio.training.export import export_run
from studio.training.run import RunError, TrainConfig
from studio.training.session import open_run, run_training

FAST_FIELDS = {**TINY_GAN_FIELDS, "decoder_channels": 4}


def _cfg(data: Path, **kw) -> TrainConfig:
    fields = {
        "kind": "gan",
        "arch": "fastgan",
        "data": str(data),
        "steps": 3,
        "batch": 4,
        "seed": 5,
        "checkpoint_every": 3,
        "preview_every": 3,
        "log_every": 1,
        "r1_every": 2,
        "device": "cpu",
        "model": dict(FAST_FIELDS),
    }
    fields.update(kw)
    return TrainConfig(**fields)


def _state(run_dir: Path) -> dict:
    return torch.load(run_dir / "state.pt", map_location="cpu", weights_only=True)


def _assert_same(a, b, where: str = "state") -> None:
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype, where
        assert torch.equal(a, b), where
    elif isinstance(a, dict):
        assert set(a) == set(b), where
        for k in a:
            if k != "seconds":  # wall-clock time differs, of course
                _assert_same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_same(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


@pytest.mark.parametrize("loss", ["nonsat", "hinge"])
def test_steps_train_fastgan_with_its_reconstruction_loss(loss, shapes_dir, tmp_path):
    run = open_run(tmp_path / "run", _cfg(shapes_dir, loss=loss), resume=False)
    reports = list(run_training(run))
    assert [r.step for r in reports] == [1, 2, 3]
    for r in reports:
        assert all(math.isfinite(v) for v in r.losses.values()), r.losses
        assert r.losses["recon"] > 0  # D's self-supervised term is there, and logged
    assert reports[-1].preview is not None and (run.previews / "step-0000003.png").is_file()
    state = _state(run.path)
    assert state["arch"] == "fastgan" and state["step"] == 3
    assert any(k.startswith("decode_part.") for k in state["D"])
    assert any(k.startswith("synthesis.gates.") for k in state["G"])
    assert json.loads((run.path / "run.json").read_text())["arch"] == "fastgan"


def test_the_style_gan_stays_the_default(shapes_dir, tmp_path):
    cfg = _cfg(shapes_dir, arch="", model=dict(TINY_GAN_FIELDS))
    reports = list(run_training(open_run(tmp_path / "run", cfg, resume=False)))
    assert "recon" not in reports[-1].losses
    state = _state(tmp_path / "run")
    assert state["arch"] == "stylegan" and not any(k.startswith("decode") for k in state["D"])


@pytest.mark.parametrize("extra", [{}, {"loss": "hinge", "ada": True}], ids=["nonsat", "hinge"])
def test_kill_and_resume_is_exact(extra, shapes_dir, tmp_path):
    total, every = 6, 3
    cfg = _cfg(shapes_dir, steps=total, checkpoint_every=every, preview_every=every, **extra)
    list(run_training(open_run(tmp_path / "whole", cfg, resume=False)))

    run = open_run(tmp_path / "live", cfg, resume=False)
    steps = run_training(run)
    for report in steps:
        if report.step == every + 1:
            shutil.copytree(tmp_path / "live", tmp_path / "killed")  # what a kill leaves
            break
    steps.close()
    assert _state(tmp_path / "killed")["step"] == every

    resumed = open_run(tmp_path / "killed", None, resume=True)
    reports = list(run_training(resumed, resume=True))
    assert [r.step for r in reports] == list(range(every + 1, total + 1))
    _assert_same(_state(tmp_path / "whole"), _state(tmp_path / "killed"))


def test_export_and_fine_tune_keep_the_architecture(shapes_dir, tmp_path):
    list(run_training(open_run(tmp_path / "run", _cfg(shapes_dir), resume=False)))
    path, meta = export_run(tmp_path / "run", "tiny-fast", out=tmp_path / "models", half=False)
    assert meta["arch"] == "fastgan" and meta["kind"] == "gan"
    loaded = load_checkpoint(path)
    assert isinstance(loaded.module, FastGenerator)
    ema = _state(tmp_path / "run")["G_ema"]
    assert all(torch.equal(v, ema[k]) for k, v in loaded.module.state_dict().items())
    assert any(k.startswith("discriminator.decode_whole.") for k in loaded.extras)

    # A fine-tune from the file trains the same architecture, from its weights.
    tune = _cfg(shapes_dir, arch="", model={}, init_from=str(path), steps=1)
    run = open_run(tmp_path / "tune", tune, resume=False)
    list(run_training(run))
    assert _state(tmp_path / "tune")["arch"] == "fastgan"
    # Asking for another architecture than the model's is refused in words.
    wrong = _cfg(shapes_dir, arch="stylegan", model={}, init_from=str(path), steps=1)
    with pytest.raises(ValueError, match="is a fastgan model"):
        list(run_training(open_run(tmp_path / "wrong", wrong, resume=False)))


def test_arch_settings_are_checked_before_anything_is_written(shapes_dir, tmp_path):
    with pytest.raises(RunError, match="Unknown architecture"):
        _cfg(shapes_dir, arch="biggan")
    with pytest.raises(RunError, match="not a GAN architecture"):
        _cfg(shapes_dir, arch="vae")
    with pytest.raises(RunError, match="unknown fields: decoder_channels"):
        _cfg(shapes_dir, arch="stylegan")
    with pytest.raises(RunError, match="not a VAE"):
        TrainConfig(kind="vae", data=str(shapes_dir), arch="fastgan")


def test_cli_trains_fastgan(shapes_dir, tmp_path, capsys):
    run = tmp_path / "cli-run"
    argv = ["train", "gan", "--arch", "fastgan", "--data", str(shapes_dir), "--run", str(run)]
    argv += ["--steps", "2", "--batch", "4", "--resolution", "32", "--device", "cpu"]
    for key, value in FAST_FIELDS.items():
        if key != "resolution":
            argv += ["--model-option", f"{key}={value}"]
    assert main(argv) == 0
    assert json.loads((run / "run.json").read_text())["arch"] == "fastgan"
    assert _state(run)["arch"] == "fastgan"
    with pytest.raises(SystemExit):  # argparse names the choices on stderr
        main(["train", "gan", "--arch", "nope", "--data", str(shapes_dir), "--run", "x"])
    assert "stylegan" in capsys.readouterr().err
