"""The worker that owns the device: lanes, jobs, cancellation, model cache (no Qt)."""

from studio.engine.engine import Engine
from studio.engine.estimate import TimeTraining
from studio.engine.events import JobEvent
from studio.engine.requests import (
    ComputeDirections,
    GenerateGrid,
    LoadModel,
    PublishRun,
    RenderLatent,
    RenderMorph,
    ScanFolder,
    TrainRun,
)

__all__ = [
    "ComputeDirections",
    "Engine",
    "GenerateGrid",
    "JobEvent",
    "LoadModel",
    "PublishRun",
    "ScanFolder",
    "TimeTraining",
    "RenderLatent",
    "RenderMorph",
    "TrainRun",
]
