"""Engine test helpers: a running CPU engine and a recorder of its events."""

from __future__ import annotations

import threading
import time

import pytest

from studio.engine import Engine, JobEvent

TIMEOUT = 30.0


class Events:
    """Collects engine events from its threads; waits for conditions on them."""

    def __init__(self) -> None:
        self.items: list[JobEvent] = []
        self.cond = threading.Condition()

    def __call__(self, ev: JobEvent) -> None:
        with self.cond:
            self.items.append(ev)
            self.cond.notify_all()

    def of(self, job_id: int, kind: str | None = None) -> list[JobEvent]:
        with self.cond:
            return [e for e in self.items if e.job_id == job_id and kind in (None, e.kind)]

    def kinds(self, job_id: int) -> list[str]:
        return [e.kind for e in self.of(job_id)]

    def wait(self, predicate, timeout: float = TIMEOUT) -> None:
        with self.cond:
            assert self.cond.wait_for(predicate, timeout), [(e.job_id, e.kind) for e in self.items]

    def wait_kind(self, job_id: int, *kinds: str) -> JobEvent:
        """The job's first event of one of ``kinds``, once it has come."""
        self.wait(lambda: any(e.job_id == job_id and e.kind in kinds for e in self.items))
        return next(e for e in self.of(job_id) if e.kind in kinds)

    def wait_done(self, job_id: int) -> str:
        """How the job ended: result, failed or cancelled."""
        return self.wait_kind(job_id, "result", "failed", "cancelled").kind

    def steps(self, job_id: int) -> list[int]:
        return [e.payload.step for e in self.of(job_id, "progress")]

    def settled_steps(self, job_id: int, quiet: float = 0.3) -> int:
        """The step count once no step has arrived for ``quiet`` seconds (after a pause,
        the step already under way may still finish)."""
        deadline = time.monotonic() + TIMEOUT
        count = len(self.steps(job_id))
        while time.monotonic() < deadline:
            time.sleep(quiet)
            now = len(self.steps(job_id))
            if now == count:
                return count
            count = now
        raise AssertionError("training did not pause")


@pytest.fixture
def engine(model_dir):
    eng = Engine("cpu")
    yield eng
    assert eng.shutdown(10.0)


@pytest.fixture
def events(engine):
    ev = Events()
    engine.subscribe(ev)
    return ev


@pytest.fixture
def new_events():
    """Make more recorders, for tests that build their own engine."""
    return Events
