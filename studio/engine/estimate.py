"""``TimeTraining``: measure how fast a run would train here, before it starts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from studio.engine.handlers import HANDLERS, JobContext
from studio.engine.memory import release_memory
from studio.training.estimate import TrainingEstimate, measure

# Training runs on the engine's full thread pool; a render-lane job is given fewer, so
# the timing takes the pool training will have (torch's default, read at import).
TRAIN_THREADS = torch.get_num_threads()


@dataclass(frozen=True)
class TimeTraining:
    """Time a few steps of the run ``config`` (``TrainConfig`` fields) describes."""

    config: dict[str, Any] = field(default_factory=dict)
    steps: int = 3


def time_training(req: TimeTraining, ctx: JobContext) -> TrainingEstimate:
    """The measured estimate (see ``studio.training.estimate.measure``)."""
    if ctx.device.type == "cpu":
        torch.set_num_threads(TRAIN_THREADS)  # this worker thread only, for this job
    fields = {**req.config, "device": str(ctx.device)}
    try:
        return measure(fields, req.steps, ctx.cancel)
    finally:
        release_memory()  # the trainer it built is gone: give its pages back


HANDLERS[TimeTraining] = time_training
