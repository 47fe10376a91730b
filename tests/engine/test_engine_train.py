"""The train lane: progress events, pause, cancel that keeps state, one job at a time."""

from __future__ import annotations

import threading
import time

from conftest import TINY_VAE_FIELDS

import studio.engine.handlers as handlers
from studio.engine import Engine, RenderLatent, TrainRun
from studio.training.run import Run

TIMEOUT = 30.0


def _config(data, steps: int, **kw) -> dict:
    return {
        "kind": "vae",
        "data": str(data),
        "steps": steps,
        "batch": 4,
        "checkpoint_every": 1000,
        "preview_every": 1000,
        "device": "cpu",
        "model": dict(TINY_VAE_FIELDS),
        **kw,
    }


def test_train_run_to_completion(engine, events, shapes_dir, tmp_path):
    run_dir = tmp_path / "run"
    job = engine.submit(TrainRun(str(run_dir), config=_config(shapes_dir, 4)))
    assert engine.training or events.of(job, "result")
    result = events.wait_kind(job, "result", "failed")
    assert result.kind == "result", result.error
    events.wait_kind(job, "finished")
    steps = events.steps(job)  # plain steps are thinned to ~20 a second
    assert steps[0] == 1 and steps[-1] == 4 and steps == sorted(set(steps))
    progress = [e.progress for e in events.of(job, "progress")]
    assert progress == [s / 4 for s in steps]
    assert result.payload.step == 4 and result.payload.preview is not None
    assert [e.kind for e in events.of(job)][:2] == ["queued", "started"]
    assert Run(run_dir).load_state()["step"] == 4
    events.wait(lambda: not engine.training)
    # Resume through the engine: train longer.
    more = engine.submit(TrainRun(str(run_dir), resume=True, config=_config(shapes_dir, 6)))
    assert events.wait_kind(more, "result", "failed").kind == "result"
    assert events.steps(more) == [5, 6]


def test_pause_blocks_steps_resume_continues_cancel_keeps_state(
    engine, events, shapes_dir, tmp_path
):
    run_dir = tmp_path / "run"
    job = engine.submit(TrainRun(str(run_dir), config=_config(shapes_dir, 10_000)))
    events.wait(lambda: len(events.steps(job)) >= 2)
    engine.pause_training()
    paused_at = events.settled_steps(job)
    time.sleep(0.6)
    assert len(events.steps(job)) == paused_at
    assert engine.training
    engine.resume_training()
    events.wait(lambda: len(events.steps(job)) >= paused_at + 2)
    engine.cancel(job)
    cancelled = events.wait_kind(job, "cancelled", "failed", "result")
    assert cancelled.kind == "cancelled"
    last = events.steps(job)[-1]
    assert cancelled.payload.step == last
    assert Run(run_dir).load_state()["step"] == last
    events.wait(lambda: not engine.training)


def test_cancel_while_paused_stops(engine, events, shapes_dir, tmp_path):
    job = engine.submit(TrainRun(str(tmp_path / "run"), config=_config(shapes_dir, 10_000)))
    events.wait(lambda: len(events.steps(job)) >= 1)
    engine.pause_training()
    time.sleep(0.2)
    engine.cancel(job)
    assert events.wait_kind(job, "cancelled", "failed", "result").kind == "cancelled"
    assert Run(tmp_path / "run").load_state()["step"] == events.steps(job)[-1]


def test_one_training_job_at_a_time(engine, events, shapes_dir, tmp_path):
    first = engine.submit(TrainRun(str(tmp_path / "a"), config=_config(shapes_dir, 10_000)))
    events.wait(lambda: len(events.steps(first)) >= 1)
    second = engine.submit(TrainRun(str(tmp_path / "b"), config=_config(shapes_dir, 5)))
    failed = events.wait_kind(second, "failed")
    assert "already running" in failed.error
    engine.cancel(first)
    events.wait_kind(first, "cancelled")


def test_training_errors_are_reported(engine, events, tmp_path):
    (tmp_path / "empty").mkdir()
    job = engine.submit(TrainRun(str(tmp_path / "run"), config=_config(tmp_path / "empty", 5)))
    failed = events.wait_kind(job, "failed", "result")
    assert failed.kind == "failed" and "no image files" in failed.error
    events.wait(lambda: not engine.training)
    missing = engine.submit(TrainRun(str(tmp_path / "none"), resume=True))
    assert "not a training run" in events.wait_kind(missing, "failed").error


def test_previews_keep_flowing_while_training(engine, events, shapes_dir, tmp_path):
    job = engine.submit(TrainRun(str(tmp_path / "run"), config=_config(shapes_dir, 10_000)))
    events.wait(lambda: len(events.steps(job)) >= 1)
    t0 = time.monotonic()
    image = engine.call(RenderLatent("tiny-gan", seed=1), "preview", timeout=TIMEOUT).image
    assert image.shape == (32, 32, 3)
    assert time.monotonic() - t0 < 5.0
    engine.cancel(job)
    events.wait_kind(job, "cancelled")


def test_shutdown_stops_training_and_keeps_state(model_dir, shapes_dir, tmp_path, new_events):
    eng = Engine("cpu")
    events = new_events()
    eng.subscribe(events)
    job = eng.submit(TrainRun(str(tmp_path / "run"), config=_config(shapes_dir, 10_000)))
    events.wait(lambda: len(events.steps(job)) >= 1)
    assert eng.shutdown(timeout=5.0)
    assert Run(tmp_path / "run").load_state()["step"] == events.steps(job)[-1]


def test_cancelling_a_preview_does_not_unpause_training(
    engine, events, shapes_dir, tmp_path, monkeypatch
):
    started = threading.Event()

    def slow(req, ctx):
        started.set()
        while True:
            ctx.cancel.check()
            time.sleep(0.01)

    monkeypatch.setitem(handlers.HANDLERS, RenderLatent, slow)
    job = engine.submit(TrainRun(str(tmp_path / "run"), config=_config(shapes_dir, 10_000)))
    events.wait(lambda: len(events.steps(job)) >= 1)
    engine.pause_training()
    paused_at = events.settled_steps(job)
    preview = engine.submit(RenderLatent("tiny-gan", seed=1), "preview")
    assert started.wait(TIMEOUT)
    engine.cancel(preview)
    events.wait_kind(preview, "cancelled")
    time.sleep(0.6)
    try:
        assert len(events.steps(job)) == paused_at
    finally:
        engine.cancel(job)
        events.wait_kind(job, "cancelled")


def test_a_start_as_soon_as_cancelled_arrives_is_not_refused(engine, shapes_dir, tmp_path):
    """The last event of a run goes out once the train lane is free again, so the window
    re-enabling Start on "cancelled" never meets "a training job is already running"."""
    seen: dict[str, bool] = {}
    again: list[int] = []
    done = threading.Event()

    def listener(event) -> None:
        if event.lane == "train" and event.kind == "cancelled" and not again:
            seen["training"] = engine.training
            again.append(
                engine.submit(TrainRun(str(tmp_path / "b"), config=_config(shapes_dir, 2)))
            )
        elif again and event.job_id == again[0] and event.kind in ("finished", "failed"):
            seen[event.kind] = True
            done.set()

    engine.subscribe(listener)
    job = engine.submit(TrainRun(str(tmp_path / "a"), config=_config(shapes_dir, 10_000)))
    deadline = time.monotonic() + TIMEOUT
    while not Run(tmp_path / "a").path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    engine.cancel(job)
    assert done.wait(TIMEOUT)
    assert seen == {"training": False, "finished": True}
