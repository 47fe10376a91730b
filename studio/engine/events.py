"""The one message type the engine sends: ``JobEvent``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Lane = Literal["preview", "render", "train"]
LANES: tuple[Lane, ...] = ("preview", "render", "train")
EventKind = Literal["queued", "started", "progress", "result", "finished", "cancelled", "failed"]


@dataclass(frozen=True)
class JobEvent:
    """Something that happened to a job.

    ``payload`` carries results (images are uint8 H×W×3 numpy); ``error`` is a message
    for people and ``traceback`` the detail for logs.
    """

    job_id: int
    lane: Lane
    kind: EventKind
    progress: float = 0.0
    payload: Any = None
    error: str = ""
    traceback: str = ""
