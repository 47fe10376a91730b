"""A new GAN's size follows the device, and the estimate times real steps."""

from __future__ import annotations

from pathlib import Path

from conftest import TINY_GAN_FIELDS

from studio.training.estimate import (
    CPU_CHANNEL_BASE,
    GPU_CHANNEL_BASE,
    default_model_fields,
    measure,
)
from studio.training.run import TrainConfig
from studio.training.session import open_run


def test_device_defaults(shapes_dir: Path, tmp_path: Path) -> None:
    import torch

    assert default_model_fields("gan", torch.device("cpu")) == {"channel_base": CPU_CHANNEL_BASE}
    assert default_model_fields("gan", torch.device("cuda")) == {"channel_base": GPU_CHANNEL_BASE}
    assert default_model_fields("vae", torch.device("cpu")) == {}
    # `train gan` on a CPU: the shipped models' size unless the person chose one.
    run = open_run(tmp_path / "a", TrainConfig("gan", str(shapes_dir), device="cpu"), False)
    assert run.read_config().model["channel_base"] == CPU_CHANNEL_BASE
    chosen = TrainConfig("gan", str(shapes_dir), device="cpu", model={"channel_base": 256})
    assert open_run(tmp_path / "b", chosen, False).read_config().model["channel_base"] == 256


def test_measure_times_real_steps(shapes_dir: Path) -> None:
    fields = {
        "kind": "gan",
        "data": str(shapes_dir),
        "batch": 4,
        "steps": 500,
        "device": "cpu",
        "model": {**TINY_GAN_FIELDS},
    }
    est = measure(fields, timed_steps=1)
    assert est.images_per_s > 0 and est.cpu_s_per_image > 0
    assert est.seconds == est.steps * est.batch / est.images_per_s and est.steps == 500
    assert est.model["channel_base"] == TINY_GAN_FIELDS["channel_base"]
