"""The worker that owns the device: lanes, jobs, cancellation, model cache (no Qt)."""

from studio.engine.engine import Engine
from studio.engine.events import JobEvent
from studio.engine.requests import (
    ComputeDirections,
    GenerateGrid,
    LoadModel,
    RenderLatent,
    RenderMorph,
    TrainRun,
)

__all__ = [
    "ComputeDirections",
    "Engine",
    "GenerateGrid",
    "JobEvent",
    "LoadModel",
    "RenderLatent",
    "RenderMorph",
    "TrainRun",
]
