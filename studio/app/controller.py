"""``SessionController``: the studio's state, its undo history, and the jobs it submits.

Every change goes through here. A committed change is one undo command; a live change
(a slider being dragged) only renders. Renders go on the ``preview`` lane (latest
wins), model loads and direction fits on the ``render`` lane.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from dataclasses import replace

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QUndoCommand, QUndoStack

from studio.app.bridge import EngineBridge
from studio.app.session import DEFAULT_SLIDERS, SessionState, fresh_start
from studio.engine import ComputeDirections, JobEvent, LoadModel, RenderLatent
from studio.engine.handlers import DirectionsInfo, ModelInfo, RenderResult, StripResult
from studio.engine.requests import RenderDirectionStrip

log = logging.getLogger(__name__)

STRIP_AMOUNTS = (-2.0, 0.0, 2.0)  # what a direction's hover strip shows
STRIP_CACHE = 64  # strips kept (a few KB each for the shipped models)
# A strip is known by the picture it starts from (the slider's own value left out: the
# strip sets it) and the direction.
StripKey = tuple[RenderLatent, int]


class StateCommand(QUndoCommand):
    """Undoable move from one state to another (the whole state, so undo is exact)."""

    def __init__(
        self, controller: SessionController, before: SessionState, after: SessionState, text: str
    ) -> None:
        super().__init__(text)
        self.controller = controller
        self.before = before
        self.after = after

    def redo(self) -> None:
        """Show the new state."""
        self.controller.apply(self.after)

    def undo(self) -> None:
        """Show the old state."""
        self.controller.apply(self.before)


class SessionController(QObject):
    """Owns the :class:`SessionState` and turns its changes into engine jobs.

    Signals: ``stateChanged(SessionState)`` when widgets should show a new state (undo,
    redo, commits, restore); ``frameReady(RenderResult, SessionState, float)`` with the
    ``time.perf_counter()`` at which the frame was asked for; ``modelReady(ModelInfo)``;
    ``directionsReady(DirectionsInfo)``; ``stripReady(StripKey, np.ndarray)`` with the
    frames along a direction asked for by :meth:`request_strip`, if still wanted.
    """

    stateChanged = Signal(object)
    frameReady = Signal(object, object, float)
    modelReady = Signal(object)
    directionsReady = Signal(object)
    stripReady = Signal(object, object)

    def __init__(
        self, bridge: EngineBridge, state: SessionState, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.undo_stack = QUndoStack(self)
        self._state = state
        self._committed = state
        self._requested_model: str | None = None
        self._load_job: int | None = None
        self._directions_job: int | None = None
        self._frames: dict[int, tuple[SessionState, float]] = {}
        # One preview in flight at a time: while it renders, moves only mark the state
        # dirty, and the newest state renders the moment the frame lands. A drag then
        # shows a frame per render (the image follows), and the exact final frame comes
        # at most two renders after the last move.
        self._in_flight: int | None = None
        self._dirty = False
        self.shown_state: SessionState | None = None
        self.model_info: ModelInfo | None = None
        self._strips: OrderedDict[StripKey, np.ndarray] = OrderedDict()
        self._strip_job: tuple[int, StripKey] | None = None
        self._wanted_strip: StripKey | None = None
        bridge.resultReady.connect(self._on_result)
        bridge.jobEvent.connect(self._on_event)

    # ------------------------------------------------------------------ state

    @property
    def state(self) -> SessionState:
        """What is being shown now (including a slider that is still being dragged)."""
        return self._state

    @property
    def committed(self) -> SessionState:
        """The state at the top of the undo history."""
        return self._committed

    def start(self) -> None:
        """Load the current model and render it (no undo entry)."""
        self.apply(self._state, force_load=True)

    def preview(self, state: SessionState) -> None:
        """Render ``state`` without recording it (e.g. while a slider is dragged)."""
        if state.model != self._state.model:
            raise ValueError("Change models with commit(), not preview().")
        self._state = state
        self._render()

    def commit(self, state: SessionState, text: str, before: SessionState | None = None) -> None:
        """Make ``state`` current as one undo step from ``before`` (default: the last commit)."""
        start = before if before is not None else self._committed
        state = fresh_start(start, state)
        if state == start:
            if state != self._state:
                self.apply(state)  # e.g. a drag that ended where it began
            return
        self.undo_stack.push(StateCommand(self, start, state, text))

    def apply(self, state: SessionState, force_load: bool = False) -> None:
        """Show ``state`` now: load its model if it changed, else render it."""
        self._state = state
        self._committed = state
        self.stateChanged.emit(state)
        if not state.model:
            return
        if force_load or state.model != self._requested_model:
            self._load(state.model)
        else:
            self._render(urgent=True)

    def reset_edits(self) -> None:
        """All latent sliders back to zero, as one undo step."""
        self.commit(replace(self._state, edits=(0.0,) * DEFAULT_SLIDERS), "Reset sliders")

    # ------------------------------------------------------------------ direction strips

    def strip_key(self, index: int) -> StripKey | None:
        """The cache key of direction ``index``'s strip for the current picture (None
        while no model is loaded)."""
        state = self._state
        info = self.model_info
        if not state.model or info is None or info.name != state.model:
            return None
        if not 0 <= index < len(state.edits):
            return None
        return state.with_edit(index, 0.0).to_request(), index

    def request_strip(self, index: int) -> StripKey | None:
        """Ask for direction ``index``'s strip (``stripReady`` brings it: at once when
        cached, else from the ``render`` lane). Only the newest request is wanted: a
        pending older one is cancelled, and a late result is cached but not shown."""
        key = self.strip_key(index)
        self._wanted_strip = key
        if key is None:
            return None
        if key in self._strips:
            self._strips.move_to_end(key)
            self.stripReady.emit(key, self._strips[key])
            return key
        if self._strip_job is not None:
            if self._strip_job[1] == key:
                return key  # already on its way
            self.bridge.cancel(self._strip_job[0])
            self._strip_job = None
        job = self._submit(RenderDirectionStrip(key[0], index, STRIP_AMOUNTS), "render")
        if job is not None:
            self._strip_job = (job, key)
        return key

    def drop_strip(self) -> None:
        """The strip is no longer wanted (the pointer left the slider)."""
        self._wanted_strip = None
        if self._strip_job is not None:
            self.bridge.cancel(self._strip_job[0])
            self._strip_job = None

    def cached_strip(self, key: StripKey) -> np.ndarray | None:
        """The frames of a strip already made, if any."""
        return self._strips.get(key)

    def _strip_landed(self, payload: StripResult) -> None:
        assert self._strip_job is not None
        key = self._strip_job[1]
        self._strip_job = None
        self._strips[key] = payload.images
        while len(self._strips) > STRIP_CACHE:
            self._strips.popitem(last=False)
        if key == self._wanted_strip:
            self.stripReady.emit(key, payload.images)

    # ------------------------------------------------------------------ jobs

    def _submit(self, request: object, lane: str) -> int | None:
        if self.bridge.is_shut_down:
            return None
        return self.bridge.submit(request, lane)  # type: ignore[arg-type]

    def _load(self, model: str) -> None:
        self._requested_model = model
        self.model_info = None
        self._load_job = self._submit(LoadModel(model), "render")

    def _render(self, urgent: bool = False) -> None:
        """Render the current state: at once when ``urgent`` (a committed change: the
        engine stops the frame in flight between its blocks), else after that frame."""
        if not self._state.model:
            return
        if self._in_flight is not None and not urgent:
            self._dirty = True
            return
        self._dirty = False
        stamp = time.perf_counter()
        job = self._submit(self._state.to_request(), "preview")
        if job is not None:
            self._in_flight = job
            self._frames[job] = (self._state, stamp)

    def _landed(self, job_id: int) -> None:
        """The in-flight preview ended (frame, failure or cancel): render what is newer."""
        if job_id != self._in_flight:
            return
        self._in_flight = None
        if self._dirty:
            self._render()

    @Slot(int, object)
    def _on_result(self, job_id: int, payload: object) -> None:
        if job_id in self._frames and isinstance(payload, RenderResult):
            state, stamp = self._frames.pop(job_id)
            for old in [j for j in self._frames if j < job_id]:
                del self._frames[old]
            self.shown_state = state
            self.frameReady.emit(payload, state, stamp)
            self._landed(job_id)
        elif job_id == self._load_job and isinstance(payload, ModelInfo):
            self._load_job = None
            self.model_info = payload
            self.modelReady.emit(payload)
            self._render()
            self._directions_job = self._submit(
                ComputeDirections(self._state.model, DEFAULT_SLIDERS), "render"
            )
        elif (
            self._strip_job is not None
            and job_id == self._strip_job[0]
            and isinstance(payload, StripResult)
        ):
            self._strip_landed(payload)
        elif job_id == self._directions_job and isinstance(payload, DirectionsInfo):
            self._directions_job = None
            self.directionsReady.emit(payload)

    @Slot(object)
    def _on_event(self, event: JobEvent) -> None:
        flying = self._in_flight
        newer = event.lane == "preview" and flying is not None and event.job_id > flying
        if newer and flying is not None and event.job_id not in self._frames:
            # A panel's preview replaced ours (latest wins) and the bridge drops the
            # stale "cancelled": without this the next moves would wait forever.
            self._frames.pop(flying, None)
            self._landed(flying)
        if event.kind not in ("failed", "cancelled"):
            return
        self._frames.pop(event.job_id, None)
        self._landed(event.job_id)
        if event.job_id == self._load_job:
            self._load_job = None
            self._requested_model = None  # try loading again on the next change
        if event.job_id == self._directions_job:
            self._directions_job = None
        if self._strip_job is not None and event.job_id == self._strip_job[0]:
            self._strip_job = None
