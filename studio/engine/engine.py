"""The engine: one worker thread that owns the device, plus a training thread.

Lanes:
- ``preview``: latest wins. A new request replaces the pending one (which is reported
  cancelled) and cancels the running one, whose result is then never delivered.
- ``render``: first in, first out, after any pending preview.
- ``train``: one long job on its own thread, stepped so it can pause, resume and cancel,
  and so previews keep flowing while it runs.

Listeners are called from the engine's threads; the Qt bridge re-emits them on the UI
thread. A failing job is reported and the worker lives on.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from studio.engine.cache import ModelCache
from studio.engine.events import JobEvent, Lane
from studio.engine.handlers import HANDLERS, DirectionStore, JobContext
from studio.engine.memory import release_memory
from studio.engine.requests import LoadModel, PublishRun, ScanFolder, TrainRun
from studio.models.device import pick_device
from studio.pipelines.cancel import Cancelled, CancelToken

Listener = Callable[[JobEvent], None]
TRAIN_EVENT_INTERVAL = 0.05  # seconds between plain training-step events
# Jobs that build big temporary objects (a run's whole state for publishing, a folder's
# decoded images): memory is handed back after each. Not after previews: they are many
# and small, and a collection would cost each one milliseconds.
RELEASE_AFTER: tuple[type, ...] = (PublishRun, ScanFolder)
OOM_ERRORS: tuple[type[BaseException], ...] = tuple(
    {getattr(torch, "OutOfMemoryError", torch.cuda.OutOfMemoryError), torch.cuda.OutOfMemoryError}
)


@dataclass
class Job:
    job_id: int
    lane: Lane
    request: Any
    token: CancelToken = field(default_factory=CancelToken)


def describe_error(exc: BaseException) -> str:
    """A one-line message for people; known error types carry their own words."""
    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, (ValueError, LookupError, OSError)):
        return text
    return f"Unexpected error ({type(exc).__name__}): {text}"


class Engine:
    """Runs requests on lanes; see the module docstring."""

    def __init__(
        self,
        device: str = "auto",
        cache_capacity: int = 3,
        directions: DirectionStore | None = None,
    ) -> None:
        self.device = pick_device(device)
        self._threads = torch.get_num_threads()
        self.cache = ModelCache(self.device, cache_capacity)
        self.directions = directions or DirectionStore()
        self._listeners: list[Listener] = []
        self._cond = threading.Condition()
        self._ids = itertools.count(1)
        self._pending_preview: Job | None = None
        self._render: deque[Job] = deque()
        self._running: Job | None = None
        self._train_job: Job | None = None
        self._train_resume = threading.Event()
        self._train_resume.set()
        self._train_thread: threading.Thread | None = None
        self._stopping = False
        self._worker = threading.Thread(target=self._loop, name="studio-engine", daemon=True)
        self._worker.start()

    # ------------------------------------------------------------------ public API

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener(event)`` for every event (from the engine's threads)."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        """Stop calling ``listener``; unknown listeners are ignored."""
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    def submit(self, request: Any, lane: Lane = "preview") -> int:
        """Queue ``request`` on ``lane``; returns its job id."""
        if isinstance(request, TrainRun):
            lane = "train"
        elif type(request) not in HANDLERS:
            raise TypeError(f"The engine has no handler for {type(request).__name__}.")
        with self._cond:
            if self._stopping:
                raise RuntimeError("The engine is shut down.")
            job = Job(next(self._ids), lane, request)
            replaced: Job | None = None
            if lane == "preview":
                replaced, self._pending_preview = self._pending_preview, job
                if self._running is not None and self._running.lane == "preview":
                    self._running.token.cancel()
            elif lane == "render":
                self._render.append(job)
            # Announce under the lock, so "queued" always comes before "started".
            if replaced is not None:
                self._emit(JobEvent(replaced.job_id, "preview", "cancelled"))
            self._emit(JobEvent(job.job_id, lane, "queued"))
            self._cond.notify_all()
        if lane == "train":
            self._start_training(job)
        return job.job_id

    def cancel(self, job_id: int) -> None:
        """Cancel a job wherever it is; a queued job is dropped, a running one stops."""
        dropped: Job | None = None
        with self._cond:
            if self._pending_preview and self._pending_preview.job_id == job_id:
                dropped, self._pending_preview = self._pending_preview, None
            for job in list(self._render):
                if job.job_id == job_id:
                    self._render.remove(job)
                    dropped = job
            for active in (self._running, self._train_job):
                if active is not None and active.job_id == job_id:
                    active.token.cancel()
                    if active is self._train_job:
                        self._train_resume.set()  # a paused run must wake up to stop
        if dropped is not None:
            self._emit(JobEvent(dropped.job_id, dropped.lane, "cancelled"))

    def pause_training(self) -> None:
        self._train_resume.clear()

    def resume_training(self) -> None:
        self._train_resume.set()

    @property
    def training(self) -> bool:
        return self._train_job is not None

    def call(self, request: Any, lane: Lane = "render", timeout: float | None = None) -> Any:
        """Run ``request`` and wait for its result (for the CLI, scripts and tests)."""
        done = threading.Event()
        box: dict[str, JobEvent] = {}
        job_ids: set[int] = set()

        def listen(ev: JobEvent) -> None:
            if ev.job_id in job_ids and ev.kind in ("result", "failed", "cancelled"):
                box["event"] = ev
                done.set()

        self.subscribe(listen)
        try:
            with self._cond:  # register the id before the worker can finish the job
                job_ids.add(self.submit(request, lane))
            if not done.wait(timeout):
                raise TimeoutError("The job did not finish in time.")
        finally:
            self.unsubscribe(listen)
        ev = box["event"]
        if ev.kind == "failed":
            raise RuntimeError(ev.error)
        if ev.kind == "cancelled":
            raise Cancelled()
        return ev.payload

    def shutdown(self, timeout: float = 1.0) -> bool:
        """Cancel everything and join the threads; True if they stopped in time."""
        with self._cond:
            self._stopping = True
            dropped = [j for j in [self._pending_preview, *self._render] if j is not None]
            self._pending_preview = None
            self._render.clear()
            for job in (self._running, self._train_job):
                if job is not None:
                    job.token.cancel()
            self._train_resume.set()
            self._cond.notify_all()
        for job in dropped:
            self._emit(JobEvent(job.job_id, job.lane, "cancelled"))
        deadline = time.monotonic() + timeout
        self._worker.join(timeout)
        if self._train_thread is not None:
            self._train_thread.join(max(0.0, deadline - time.monotonic()))
        alive = self._worker.is_alive() or bool(
            self._train_thread and self._train_thread.is_alive()
        )
        return not alive

    # ------------------------------------------------------------------ internals

    def _emit(self, event: JobEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a broken listener must not take the worker down
                traceback.print_exc()

    def _next_job(self) -> Job | None:
        with self._cond:
            while not self._stopping and self._pending_preview is None and not self._render:
                self._cond.wait()
            if self._stopping:
                return None
            if self._pending_preview is not None:
                job, self._pending_preview = self._pending_preview, None
            else:
                job = self._render.popleft()
            self._running = job
            return job

    def _loop(self) -> None:
        while True:
            job = self._next_job()
            if job is None:
                return
            try:
                self._run(job)
            finally:
                with self._cond:
                    self._running = None
                if isinstance(job.request, RELEASE_AFTER):
                    del job
                    release_memory()

    def _context(self, job: Job, device: torch.device) -> JobContext:
        def progress(value: float) -> None:
            self._emit(JobEvent(job.job_id, job.lane, "progress", progress=float(value)))

        return JobContext(self.cache, self.directions, device, job.token, progress)

    def _cpu_threads(self, job: Job) -> int:
        """Intra-op threads for a job on the CPU. A batch-1 preview must leave a core to
        the window's thread: on 2 cores it renders in 8.4 ms on one thread inside the
        app but 12.5 ms on two, whose parallel regions wait on the UI thread (measured
        with bench/latency.py); batch jobs keep most of the pool."""
        cores = os.cpu_count() or 1
        if job.lane == "preview" or isinstance(job.request, LoadModel):
            return max(1, min(4, cores // 4))
        return max(1, min(self._threads, cores - 1))

    def _run(self, job: Job) -> None:
        handler = HANDLERS[type(job.request)]
        if self.device.type == "cpu":
            # Per thread: torch keeps this setting for the worker thread alone.
            torch.set_num_threads(self._cpu_threads(job))
        self._emit(JobEvent(job.job_id, job.lane, "started"))
        try:
            job.token.check()
            try:
                result = handler(job.request, self._context(job, self.device))
            except OOM_ERRORS:
                if self.device.type == "cpu":
                    raise
                # Out of GPU memory: free what we hold and do this job on the CPU.
                self.cache.clear()
                if self.device.type == "cuda":
                    torch.cuda.empty_cache()
                note = "The GPU ran out of memory; this job ran on the CPU instead."
                self._emit(JobEvent(job.job_id, job.lane, "progress", payload={"note": note}))
                result = handler(job.request, self._context(job, torch.device("cpu")))
            job.token.check()  # superseded while running: never deliver a stale frame
        except Cancelled:
            self._emit(JobEvent(job.job_id, job.lane, "cancelled"))
            return
        except Exception as exc:
            self._emit(
                JobEvent(
                    job.job_id,
                    job.lane,
                    "failed",
                    error=describe_error(exc),
                    traceback=traceback.format_exc(),
                )
            )
            return
        self._emit(JobEvent(job.job_id, job.lane, "result", progress=1.0, payload=result))
        self._emit(JobEvent(job.job_id, job.lane, "finished", progress=1.0))

    # ------------------------------------------------------------------ training lane

    def _start_training(self, job: Job) -> None:
        with self._cond:
            if self._train_job is not None:
                busy = True
            else:
                busy = False
                self._train_job = job
                self._train_resume.set()
        if busy:
            self._emit(
                JobEvent(
                    job.job_id,
                    "train",
                    "failed",
                    error="A training job is already running; cancel it first.",
                )
            )
            return
        self._train_thread = threading.Thread(
            target=self._train, args=(job,), name="studio-train", daemon=True
        )
        self._train_thread.start()

    def _train(self, job: Job) -> None:
        from studio.training.run import TrainConfig
        from studio.training.session import open_run, run_training

        req: TrainRun = job.request
        torch.set_num_threads(self._threads)  # this thread trains with the full pool

        def should_stop() -> bool:
            # Pausing blocks here, between steps, so no step is ever half done.
            while not self._train_resume.wait(0.1):
                if job.token.cancelled:
                    break
            return job.token.cancelled

        self._emit(JobEvent(job.job_id, "train", "started"))
        # The job's last events go out only once it has let go of the train lane, so a
        # person who presses Start as soon as "cancelled" arrives is not refused.
        final: list[JobEvent] = []
        try:
            cfg = TrainConfig(**req.config) if req.config else None
            run = open_run(req.run_dir, cfg, req.resume)
            last = None
            sent, sent_step = 0.0, 0
            for report in run_training(run, resume=req.resume, cancel=should_stop):
                last = report
                # Fast GPU steps would flood the window: send at most 20 plain steps a
                # second, but always those carrying a preview, metrics or a checkpoint.
                now = time.monotonic()
                notable = report.preview is not None or report.checkpointed or report.metrics
                if notable or now - sent >= TRAIN_EVENT_INTERVAL or report.step == report.total:
                    sent, sent_step = now, report.step
                    self._emit(_step_event(job, report))
            if last is not None and last.step != sent_step:  # the step it stopped at
                self._emit(_step_event(job, last))
            if job.token.cancelled:
                final.append(JobEvent(job.job_id, "train", "cancelled", payload=last))
            else:
                final.append(JobEvent(job.job_id, "train", "result", 1.0, payload=last))
                final.append(JobEvent(job.job_id, "train", "finished", 1.0))
        except Exception as exc:
            final.append(
                JobEvent(
                    job.job_id,
                    "train",
                    "failed",
                    error=describe_error(exc),
                    traceback=traceback.format_exc(),
                )
            )
        finally:
            # Nothing of the run may outlive it: the trainer went with the generator;
            # drop the run and the loop's step here, then hand the freed pages back.
            run = report = None  # type: ignore[assignment]  # noqa: F841
            release_memory()
            with self._cond:
                self._train_job = None
        for event in final:
            self._emit(event)


def _step_event(job: Job, report: Any) -> JobEvent:
    """A training step as a progress event carrying its report."""
    return JobEvent(
        job.job_id, "train", "progress", progress=report.step / report.total, payload=report
    )
