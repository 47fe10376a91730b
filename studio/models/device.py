"""Choosing the compute device: CUDA, then Apple MPS, then the CPU."""

from __future__ import annotations

import torch


def pick_device(preference: str = "auto") -> torch.device:
    """The device for ``preference`` ("auto", "cpu", "cuda", "cuda:1", "mps").

    Asking for a device that is not there raises ``ValueError`` in plain words rather
    than failing later inside a kernel.
    """
    pref = (preference or "auto").lower()
    if pref == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if pref.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError("CUDA was asked for, but no CUDA GPU is available here.")
        return torch.device(pref)
    if pref == "mps":
        if not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
            raise ValueError("MPS was asked for, but Apple's Metal backend is not available.")
        return torch.device("mps")
    if pref == "cpu":
        return torch.device("cpu")
    raise ValueError(f"Unknown device {preference!r}; use auto, cpu, cuda or mps.")


def describe_device(device: torch.device) -> str:
    """A short label for people: "CPU", "CUDA: <name>", "MPS"."""
    if device.type == "cuda":
        return f"CUDA: {torch.cuda.get_device_name(device)}"
    if device.type == "mps":
        return "MPS (Apple GPU)"
    return "CPU"
