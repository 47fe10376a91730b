"""Helpers for tests that hand the studio hostile files (pipes, devices): never hang."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")


def call_with_timeout(fn, *args, timeout: float = 20.0):
    """Run ``fn(*args)`` in a thread; fail (not hang) if it does not return in time."""
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["value"] = fn(*args)
        except BaseException as exc:  # handed to the test below
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    return thread.is_alive(), box


def unblock(fifo: Path) -> None:
    """Give a reader stuck on ``fifo`` a writer and an end, so the test run can end."""
    try:
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:
        return
    os.close(fd)
