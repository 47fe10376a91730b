"""The loop every trainer shares: resume, step, log, preview, checkpoint, cancel.

A trainer supplies the model-specific parts (see :class:`Trainer`); ``train`` is a
generator that yields a :class:`StepReport` after every step, so the CLI draws a
progress bar, the engine forwards events and tests take a few steps, all from one loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch

from studio.imaging.grid import contact_sheet
from studio.models.device import pick_device
from studio.training.dataset import BatchOrder, FolderData, load_folder, to_tensor
from studio.training.run import Run, StepReport, Throughput, TrainConfig, step_generator


class Trainer:
    """Model-specific parts of a training run; subclasses fill them in."""

    def __init__(self, cfg: TrainConfig, data: FolderData, device: torch.device) -> None:
        self.cfg = cfg
        self.data = data
        self.device = device
        self.order = BatchOrder(len(data), cfg.batch, cfg.seed)

    def batch(self, step: int) -> torch.Tensor:
        """The real images of ``step`` as float [-1, 1] on the device."""
        idx = self.order.indices(step)
        return to_tensor(self.data.images[idx]).to(self.device)

    def train_step(self, step: int, gen: torch.Generator) -> dict[str, float]:
        raise NotImplementedError

    def preview(self) -> np.ndarray:
        """A fixed-seed grid of samples (uint8) from the current weights."""
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    def load_state_dict(self, state: dict[str, Any]) -> None:
        raise NotImplementedError

    def metrics(self) -> dict[str, float]:
        """Cheap quality figures logged with each preview."""
        return {}


def preview_grid(images: np.ndarray, columns: int = 8) -> np.ndarray:
    return contact_sheet(list(images), columns=columns, gap=2)


def train(
    run: Run,
    make_trainer: Callable[[TrainConfig, FolderData, torch.device], Trainer],
    resume: bool = False,
    cancel: Callable[[], bool] | None = None,
    data: FolderData | None = None,
) -> Iterator[StepReport]:
    """Run (or resume) the training described by ``run``'s config, yielding every step.

    Stops after the configured number of steps or when ``cancel()`` turns true; either
    way the last state is saved, so nothing done so far is lost.
    """
    cfg = run.read_config()
    device = pick_device(cfg.device)
    if data is None:
        data = load_folder(cfg.data, _resolution(cfg), split="train", holdout=cfg.holdout)
    trainer = make_trainer(cfg, data, device)
    step, seconds = 0, 0.0
    state = run.load_state() if resume else None
    if state is not None:
        trainer.load_state_dict(state)
        step, seconds = int(state["step"]), float(state.get("seconds", 0.0))
    speed = Throughput()
    last_saved = step

    def save() -> None:
        run.save_state({**trainer.state_dict(), "step": step, "seconds": seconds})

    try:
        while step < cfg.steps:
            if cancel is not None and cancel():
                break
            t0 = time.perf_counter()
            losses = trainer.train_step(step, step_generator(cfg.seed, step))
            step += 1
            seconds += time.perf_counter() - t0
            report = StepReport(step, cfg.steps, losses, speed.add(cfg.batch), seconds)
            if step % cfg.preview_every == 0 or step == cfg.steps:
                report.preview = trainer.preview()
                report.metrics = trainer.metrics()
                run.save_preview(step, report.preview)
            if step % cfg.checkpoint_every == 0 or step == cfg.steps:
                save()
                last_saved = step
                report.checkpointed = True
            if step % cfg.log_every == 0 or report.preview is not None:
                run.log(
                    {
                        "step": step,
                        "seconds": round(seconds, 3),
                        "images_per_s": round(report.images_per_s, 2),
                        **{k: round(v, 5) for k, v in losses.items()},
                        **report.metrics,
                    }
                )
            yield report
    except GeneratorExit:
        # The consumer stopped listening (window closed, job cancelled): keep the work.
        if step != last_saved:
            save()
        raise
    if step != last_saved:  # cancelled between checkpoints
        save()


def _resolution(cfg: TrainConfig) -> int:
    return int(cfg.model.get("resolution", 64))
