"""How long a training run will take here, and the settings a new model starts from.

The estimate is measured, not guessed: the run's own trainer is built on its own data
and a few real steps are timed (after one warm-up step), on this device, as busy as it
is now. A new GAN's size follows the device (:func:`default_model_fields`): on a CPU the
configuration every shipped model uses (``channel_base`` 1024, half the architecture's
default), which trains about twice as fast for the same picture at 64 × 64.
"""

from __future__ import annotations

import dataclasses
import gc
import time
from dataclasses import dataclass
from typing import Any

import torch

from studio.models.device import pick_device
from studio.pipelines.cancel import CancelToken
from studio.training.dataset import load_folder
from studio.training.run import TrainConfig, step_generator

# A new GAN's channel_base by device type (the architecture's own default is 2048).
CPU_CHANNEL_BASE = 1024
GPU_CHANNEL_BASE = 2048
SMALL_CHANNEL_BASE = 512
LONG_RUN_S = 3600.0  # over this, the Train panel offers faster choices
TIMED_STEPS = 3


def default_model_fields(kind: str, device: str | torch.device) -> dict[str, Any]:
    """Model settings a new model of ``kind`` starts from on ``device`` (fields the
    person sets themselves win over these)."""
    if kind != "gan":
        return {}
    dev = pick_device(device) if isinstance(device, str) else device
    return {"channel_base": CPU_CHANNEL_BASE if dev.type == "cpu" else GPU_CHANNEL_BASE}


def with_device_defaults(cfg: TrainConfig) -> TrainConfig:
    """``cfg`` with a new model's device defaults filled in (a fine-tune keeps its
    model's shape, so it is left as it is)."""
    if cfg.init_from:
        return cfg
    fields = {**default_model_fields(cfg.kind, cfg.device), **cfg.model}
    return dataclasses.replace(cfg, model=fields)


@dataclass(frozen=True)
class TrainingEstimate:
    """A measured training speed and what it means for the run."""

    images_per_s: float
    cpu_s_per_image: float  # processor time per image (all threads): steadier under load
    seconds: float  # the whole run at that speed (previews and checkpoints not counted)
    steps: int
    batch: int
    device: str
    model: dict[str, Any]  # the model settings that were timed

    @property
    def long(self) -> bool:
        return self.seconds > LONG_RUN_S

    def for_steps(self, steps: int) -> TrainingEstimate:
        """The same measured speed for a run of ``steps`` steps: the step count does not
        change the speed, so the panel need not time the training again."""
        seconds = steps * self.batch / max(self.images_per_s, 1e-9)
        return dataclasses.replace(self, steps=steps, seconds=seconds)


def measure(
    fields: dict[str, Any],
    timed_steps: int = TIMED_STEPS,
    cancel: CancelToken | None = None,
) -> TrainingEstimate:
    """Time ``timed_steps`` steps of the run ``fields`` (``TrainConfig`` fields) describes,
    on its own data and device, and scale to the whole run."""
    from studio.models.device import describe_device
    from studio.training.session import TRAINERS

    cfg = with_device_defaults(TrainConfig(**fields))
    device = pick_device(cfg.device)
    res = int(cfg.model.get("resolution", 64))
    data = load_folder(
        cfg.data,
        res,
        "train",
        cfg.holdout,
        cfg.policy,  # type: ignore[arg-type]
        cfg.background,
    )
    if len(data) < cfg.batch:  # a tiny set: timing a smaller batch still says the speed
        cfg = dataclasses.replace(cfg, batch=max(1, len(data)))
    trainer = TRAINERS[cfg.kind](cfg, data, device)
    try:
        # Step 0 warms up (allocations, R1 on its first step); the rest are timed.
        took = cpu = 0.0
        for step in range(timed_steps + 1):
            if cancel is not None:
                cancel.check()
            start, start_cpu = time.perf_counter(), time.process_time()
            trainer.train_step(step + 1, step_generator(cfg.seed, step + 1))
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            if step:
                took += time.perf_counter() - start
                cpu += time.process_time() - start_cpu
        rate = cfg.batch * timed_steps / max(took, 1e-9)
        total = cfg.total_steps(len(data))
        return TrainingEstimate(
            rate,
            cpu / (cfg.batch * timed_steps),
            total * cfg.batch / rate,
            total,
            cfg.batch,
            describe_device(device),
            dict(cfg.model),
        )
    finally:
        del trainer
        gc.collect()
