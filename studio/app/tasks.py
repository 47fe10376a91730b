"""``Task``: run one plain function on Qt's thread pool, with its outcome as signals.

For file work the window must not wait on (writing exports, contact sheets, morph
files). Never for model work, which goes through the engine.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)

Work = Callable[[Callable[[float], None]], Any]


class TaskSignals(QObject):
    """``progress(float)``, then ``done(result)`` or ``failed(message)``; then ``ended()``."""

    progress = Signal(float)
    done = Signal(object)
    failed = Signal(str)
    ended = Signal()


class Task(QRunnable):
    """Calls ``work(progress)`` on a pool thread; its signals arrive on the UI thread.

    Expected errors (``OSError``, ``ValueError``, ``RuntimeError``) carry a message for
    people; anything else is logged with its traceback and reported as unexpected.
    """

    _running: set[Task] = set()  # keeps Python wrappers alive until the work ends

    def __init__(self, work: Work) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.work = work
        self.signals = TaskSignals()

    def start(self, pool: QThreadPool | None = None) -> Task:
        """Queue the work and return ``self`` (connect to ``signals`` before this)."""
        Task._running.add(self)
        self.signals.ended.connect(lambda: Task._running.discard(self))
        (pool or QThreadPool.globalInstance()).start(self)
        return self

    def run(self) -> None:
        """On the pool thread: do the work and report how it went."""
        try:
            result = self.work(self.signals.progress.emit)
        except (OSError, ValueError, RuntimeError) as exc:
            self.signals.failed.emit(str(exc) or type(exc).__name__)
        except Exception as exc:  # noqa: BLE001 - reported, never raised into Qt
            log.error("Background task failed:\n%s", traceback.format_exc())
            self.signals.failed.emit(f"Unexpected error ({type(exc).__name__}): {exc}")
        else:
            self.signals.done.emit(result)
        self.signals.ended.emit()
