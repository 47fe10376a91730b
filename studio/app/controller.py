"""``SessionController``: the studio's state, its undo history, and the jobs it submits.

Every change goes through here. A committed change is one undo command; a live change
(a slider being dragged) only renders. Renders go on the ``preview`` lane (latest
wins), model loads and direction fits on the ``render`` lane.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QUndoCommand, QUndoStack

from studio.app.bridge import EngineBridge
from studio.app.session import DEFAULT_SLIDERS, SessionState, fresh_start
from studio.engine import ComputeDirections, JobEvent, LoadModel
from studio.engine.handlers import DirectionsInfo, ModelInfo, RenderResult

log = logging.getLogger(__name__)


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
    ``directionsReady(DirectionsInfo)``.
    """

    stateChanged = Signal(object)
    frameReady = Signal(object, object, float)
    modelReady = Signal(object)
    directionsReady = Signal(object)

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
        elif job_id == self._directions_job and isinstance(payload, DirectionsInfo):
            self._directions_job = None
            self.directionsReady.emit(payload)

    @Slot(object)
    def _on_event(self, event: JobEvent) -> None:
        if event.kind not in ("failed", "cancelled"):
            return
        self._frames.pop(event.job_id, None)
        self._landed(event.job_id)
        if event.job_id == self._load_job:
            self._load_job = None
            self._requested_model = None  # try loading again on the next change
        if event.job_id == self._directions_job:
            self._directions_job = None
