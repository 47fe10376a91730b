"""``EngineBridge``: engine events (from its threads) as Qt signals on the UI thread.

The engine calls listeners from its own threads, and from the submitting thread for
"queued" events. The bridge hands every event to the UI thread through a queued
connection, so by the time an event is looked at, the ``submit`` that made its job has
returned and the job id is known. Preview-lane events from any job but the newest are
dropped there, so a slider drag never shows a stale frame.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from studio.engine import Engine, JobEvent
from studio.engine.events import Lane
from studio.engine.handlers import DirectionsInfo, ModelInfo, RenderResult

log = logging.getLogger(__name__)


class EngineBridge(QObject):
    """Wraps an :class:`~studio.engine.Engine` for the window.

    Signals (all emitted on the thread the bridge lives on, the UI thread):

    - ``jobEvent(JobEvent)``: every event that is not dropped as stale (not named
      ``event``, which would hide ``QObject.event``, Qt's event dispatcher);
    - ``previewReady(RenderResult)``: a frame from the newest preview job;
    - ``resultReady(int, object)``: job id and payload of every delivered result;
    - ``modelLoaded(ModelInfo)`` and ``directionsReady(DirectionsInfo)``;
    - ``failed(str, str)``: a message for people and the traceback for logs;
    - ``progress(str, float)``: lane and fraction done;
    - ``note(str)``: something the engine wants said (e.g. it fell back to the CPU);
    - ``busyChanged(bool)``: whether any submitted job is still open.
    """

    jobEvent = Signal(object)
    previewReady = Signal(object)
    resultReady = Signal(int, object)
    modelLoaded = Signal(object)
    directionsReady = Signal(object)
    failed = Signal(str, str)
    progress = Signal(str, float)
    note = Signal(str)
    busyChanged = Signal(bool)

    _relay = Signal(object)  # engine thread → UI thread, always queued

    def __init__(self, engine: Engine, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self._newest: dict[str, int] = {}
        self._open: set[int] = set()
        self._closed = threading.Event()
        self._stopped = False
        self._relay.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        engine.subscribe(self._listen)

    # ------------------------------------------------------------------ public API

    def submit(self, request: Any, lane: Lane = "preview") -> int:
        """Submit ``request`` on ``lane`` and remember it as that lane's newest job."""
        if self._closed.is_set():
            raise RuntimeError("The engine bridge is shut down.")
        job_id = self.engine.submit(request, lane)
        self._newest[lane] = max(job_id, self._newest.get(lane, 0))
        was_busy = bool(self._open)
        self._open.add(job_id)
        if not was_busy:
            self.busyChanged.emit(True)
        return job_id

    def cancel(self, job_id: int) -> None:
        """Cancel one job (queued or running)."""
        self.engine.cancel(job_id)

    def pause_training(self) -> None:
        """Hold the running training between steps."""
        self.engine.pause_training()

    def resume_training(self) -> None:
        """Carry on a paused training run."""
        self.engine.resume_training()

    def newest(self, lane: Lane) -> int | None:
        """The id of the newest job submitted on ``lane`` (None before the first)."""
        return self._newest.get(lane)

    @property
    def busy(self) -> bool:
        """Whether a submitted job has not yet finished, failed or been cancelled."""
        return bool(self._open)

    @property
    def is_shut_down(self) -> bool:
        """True once :meth:`shutdown` has been called."""
        return self._closed.is_set()

    def shutdown(self, timeout: float = 1.0) -> bool:
        """Cancel every job and join the engine's threads; True if they stopped in time."""
        if self._closed.is_set():
            return self._stopped
        self._closed.set()
        self._stopped = self.engine.shutdown(timeout)
        if not self._stopped:
            log.warning("The engine did not stop within %.1f s.", timeout)
        self._open.clear()
        return self._stopped

    # ------------------------------------------------------------------ internals

    def _listen(self, event: JobEvent) -> None:
        """Called on an engine thread (or the submitting thread): just hand it over."""
        if not self._closed.is_set():
            self._relay.emit(event)

    @Slot(object)
    def _deliver(self, event: JobEvent) -> None:
        """On the UI thread: drop stale preview events, then fan out to the signals."""
        if self._closed.is_set():
            return
        if event.kind in ("finished", "cancelled", "failed"):
            self._finish(event.job_id)
        newest = self._newest.get(event.lane, 0)
        if event.job_id > newest:  # submitted behind our back: it is the newest now
            self._newest[event.lane] = newest = event.job_id
        if event.lane == "preview" and event.job_id != newest:
            return
        self.jobEvent.emit(event)
        if event.kind == "result":
            self._result(event)
        elif event.kind == "failed":
            self.failed.emit(event.error, event.traceback)
        elif event.kind == "progress":
            payload = event.payload
            if isinstance(payload, dict) and payload.get("note"):
                self.note.emit(str(payload["note"]))
            self.progress.emit(event.lane, float(event.progress))

    def _result(self, event: JobEvent) -> None:
        payload = event.payload
        self.resultReady.emit(event.job_id, payload)
        if isinstance(payload, RenderResult) and event.lane == "preview":
            self.previewReady.emit(payload)
        elif isinstance(payload, ModelInfo):
            self.modelLoaded.emit(payload)
        elif isinstance(payload, DirectionsInfo):
            self.directionsReady.emit(payload)

    def _finish(self, job_id: int) -> None:
        if job_id in self._open:
            self._open.discard(job_id)
            if not self._open:
                self.busyChanged.emit(False)
