"""Interpolation between latents and morph animations (frames as uint8 arrays)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
import torch

from studio.pipelines.cancel import CancelToken
from studio.pipelines.sample import Progress

Mode = Literal["linear", "spherical"]
Loop = Literal["once", "loop", "pingpong"]


def lerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    return a + (b - a) * t


def slerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation along the last axis (magnitude interpolated linearly)."""
    na, nb = a.norm(dim=-1, keepdim=True), b.norm(dim=-1, keepdim=True)
    ua, ub = a / na.clamp_min(1e-8), b / nb.clamp_min(1e-8)
    dot = (ua * ub).sum(-1, keepdim=True).clamp(-1 + 1e-7, 1 - 1e-7)
    omega = torch.acos(dot)
    so = torch.sin(omega)
    direction = (torch.sin((1 - t) * omega) * ua + torch.sin(t * omega) * ub) / so
    # Nearly parallel vectors: slerp degenerates to lerp.
    direction = torch.where(so.abs() < 1e-4, lerp(ua, ub, t), direction)
    return direction * lerp(na, nb, t)


def path_times(keys: int, frames: int, loop: Loop = "once") -> list[tuple[int, float]]:
    """(segment, t) for each frame through ``keys`` keyframes.

    ``once`` ends on the last key, ``loop`` returns to the first, ``pingpong`` goes
    there and back without repeating the end frames.
    """
    if keys < 2:
        raise ValueError("A morph needs at least two images.")
    if frames < 2:
        raise ValueError("A morph needs at least two frames.")
    segments = keys if loop == "loop" else keys - 1
    times: list[tuple[int, float]] = []
    closed = loop == "loop"
    for f in range(frames):
        pos = f / (frames if closed else frames - 1) * segments
        seg = min(int(pos), segments - 1)
        times.append((seg, pos - seg))
    if loop == "pingpong":
        times = times + times[-2:0:-1]
    return times


def interpolate_latents(
    keys: Sequence[torch.Tensor], frames: int, mode: Mode = "linear", loop: Loop = "once"
) -> list[torch.Tensor]:
    """Latents along a path through ``keys`` (each the same shape)."""
    fn = slerp if mode == "spherical" else lerp
    n = len(keys)
    return [fn(keys[seg], keys[(seg + 1) % n], t) for seg, t in path_times(n, frames, loop)]


def render_frames(
    decode: Callable[[torch.Tensor], torch.Tensor],
    latents: Sequence[torch.Tensor],
    batch: int = 16,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> list[np.ndarray]:
    """Decode latents to uint8 frames in batches, checking for cancellation."""
    from studio.pipelines.sample import to_uint8

    frames: list[np.ndarray] = []
    for start in range(0, len(latents), batch):
        if cancel is not None:
            cancel.check()
        with torch.inference_mode():
            chunk = torch.cat(list(latents[start : start + batch]))
            frames.extend(to_uint8(decode(chunk)))
        if progress:
            progress(min(1.0, (start + batch) / len(latents)))
    return frames
