"""Cooperative cancellation: a token that loops check, and the exception they raise."""

from __future__ import annotations

import threading


class Cancelled(Exception):
    """The job was cancelled; whatever it had made is dropped."""


class CancelToken:
    """Set from any thread; checked inside every loop of a job."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        """Raise :class:`Cancelled` if cancellation was asked for."""
        if self._event.is_set():
            raise Cancelled()
