"""The engine without Qt: requests, latest-wins previews, stale results, failures, shutdown."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import torch

import studio.engine.handlers as handlers
from studio.engine import (
    ComputeDirections,
    Engine,
    GenerateGrid,
    JobEvent,
    LoadModel,
    RenderLatent,
)
from studio.models.checkpoint import file_sha256, load_checkpoint
from studio.pipelines.cancel import Cancelled
from studio.pipelines.render import Recipe, render_image
from studio.pipelines.sample import GenerateRequest, generate_images

TIMEOUT = 20.0


@pytest.fixture
def gate(monkeypatch):
    """Makes GenerateGrid block until ``gate.set()``: keeps the worker busy on demand."""
    opened = threading.Event()
    entered = threading.Event()

    def blocked(req, ctx):
        entered.set()
        assert opened.wait(TIMEOUT)
        return np.zeros((1, 4, 4, 3), np.uint8)

    monkeypatch.setitem(handlers.HANDLERS, GenerateGrid, blocked)
    opened.entered = entered  # type: ignore[attr-defined]
    return opened


def _slow_render(seconds: float = 0.2, check: bool = True, started=None):
    def slow(req, ctx):
        if started is not None:
            started.set()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if check:
                ctx.cancel.check()
            time.sleep(0.01)
        return f"frame {req.seed}"

    return slow


def test_load_model_reports_what_it_is(engine, model_dir):
    info = engine.call(LoadModel("tiny-gan"), timeout=TIMEOUT)
    assert (info.name, info.kind, info.arch) == ("tiny-gan", "gan", "stylegan")
    assert (info.resolution, info.latent_size, info.num_layers) == (32, 8, 8)
    assert info.device == "CPU" and info.data == "test shapes"
    assert info.sha256 == file_sha256(model_dir / "tiny-gan.safetensors")
    vae = engine.call(LoadModel(str(model_dir / "tiny-vae.safetensors")), timeout=TIMEOUT)
    assert (vae.kind, vae.num_layers, vae.latent_size) == ("vae", 0, 8)


def test_render_latent_matches_the_pipeline(engine, model_dir):
    model = load_checkpoint(model_dir / "tiny-gan.safetensors")
    result = engine.call(RenderLatent("tiny-gan", seed=3, truncation=0.7), timeout=TIMEOUT)
    assert result.image.dtype == np.uint8 and result.image.shape == (32, 32, 3)
    assert np.array_equal(result.image, render_image(model, Recipe("tiny-gan", 3, 0.7)))
    assert result.model_ms >= 0 and result.request.seed == 3
    edited = engine.call(RenderLatent("tiny-gan", seed=3, edits=(3.0,)), timeout=TIMEOUT)
    plain = engine.call(RenderLatent("tiny-gan", seed=3), timeout=TIMEOUT)
    coarse = engine.call(
        RenderLatent("tiny-gan", seed=3, edits=(3.0,), layers=(0, 2)), timeout=TIMEOUT
    )
    assert not np.array_equal(edited.image, plain.image)
    assert not np.array_equal(edited.image, coarse.image)
    vae = engine.call(RenderLatent("tiny-vae", seed=3, edits=(0.0, 2.0)), timeout=TIMEOUT)
    assert vae.image.shape == (32, 32, 3)


def test_generate_grid_matches_the_pipeline(engine, model_dir, events):
    model = load_checkpoint(model_dir / "tiny-vae.safetensors")
    images = engine.call(GenerateGrid("tiny-vae", count=4, seed=7), timeout=TIMEOUT)
    assert images.shape == (4, 32, 32, 3)
    assert np.array_equal(images, generate_images(model, GenerateRequest(4, 7)))
    assert any(e.kind == "progress" for e in events.items)


def test_directions_are_computed_once_and_cached_on_disk(engine, isolated_home):
    info = engine.call(ComputeDirections("tiny-gan", k=5), timeout=TIMEOUT)
    assert info.k == 5 and np.all(np.diff(info.stds) <= 0)
    cached = list((isolated_home / "directions").glob("*-k5.npz"))
    assert len(cached) == 1
    fresh = Engine("cpu")  # a new engine reads the file instead of recomputing
    try:
        again = fresh.call(ComputeDirections("tiny-gan", k=5), timeout=TIMEOUT)
    finally:
        fresh.shutdown()
    assert np.array_equal(again.stds, info.stds)


def test_event_order_of_a_job(engine, events):
    job = engine.submit(RenderLatent("tiny-gan", seed=1), "render")
    events.wait_kind(job, "finished")
    assert events.kinds(job) == ["queued", "started", "result", "finished"]
    result = next(e for e in events.items if e.job_id == job and e.kind == "result")
    assert result.lane == "render" and result.progress == 1.0


def test_unknown_request_type_refused(engine):
    with pytest.raises(TypeError, match="no handler"):
        engine.submit(object())


def test_preview_lane_latest_wins(engine, events, gate):
    blocker = engine.submit(GenerateGrid("tiny-gan", 1, 0), "render")
    assert gate.entered.wait(TIMEOUT)  # the worker is busy
    ids = [engine.submit(RenderLatent("tiny-gan", seed=s), "preview") for s in range(20)]
    gate.set()
    assert events.wait_done(ids[-1]) == "result"
    events.wait_done(blocker)
    for job in ids[:-1]:
        assert events.kinds(job) == ["queued", "cancelled"] or events.kinds(job) == [
            "cancelled",
            "queued",
        ]
    results = [e for e in events.items if e.kind == "result" and e.job_id in ids]
    assert [e.job_id for e in results] == [ids[-1]]
    assert results[0].payload.request.seed == 19


def test_preview_lane_latest_wins_without_blocking(engine, events):
    ids = [engine.submit(RenderLatent("tiny-gan", seed=s), "preview") for s in range(20)]
    assert events.wait_done(ids[-1]) == "result"
    time.sleep(0.2)
    # Whatever ran early, the newest always delivers, and nothing older arrives after it.
    last = max(i for i, e in enumerate(events.items) if e.kind == "result")
    assert events.items[last].job_id == ids[-1]
    for job in ids:
        ends = [k for k in events.kinds(job) if k in ("result", "cancelled", "failed")]
        assert ends in (["result"], ["cancelled"]), (job, events.kinds(job))
    assert any(events.kinds(job)[-1] == "cancelled" for job in ids[:-1])


def test_stale_result_never_delivered(engine, events, monkeypatch):
    started = threading.Event()
    monkeypatch.setitem(handlers.HANDLERS, RenderLatent, _slow_render(0.2, True, started))
    a = engine.submit(RenderLatent("tiny-gan", seed=1), "preview")
    assert started.wait(TIMEOUT)
    b = engine.submit(RenderLatent("tiny-gan", seed=2), "preview")
    assert events.wait_done(b) == "result"
    assert events.wait_done(a) == "cancelled"
    assert "result" not in events.kinds(a)
    assert next(e.payload for e in events.items if e.job_id == b and e.kind == "result") == (
        "frame 2"
    )


def test_stale_result_dropped_even_if_the_handler_ignores_cancel(engine, events, monkeypatch):
    started = threading.Event()
    monkeypatch.setitem(handlers.HANDLERS, RenderLatent, _slow_render(0.2, False, started))
    a = engine.submit(RenderLatent("tiny-gan", seed=1), "preview")
    assert started.wait(TIMEOUT)
    b = engine.submit(RenderLatent("tiny-gan", seed=2), "preview")
    assert events.wait_done(b) == "result"
    assert events.kinds(a)[-1] == "cancelled"
    assert "result" not in events.kinds(a)


def test_call_of_a_superseded_preview_raises_cancelled(engine, monkeypatch):
    started = threading.Event()
    monkeypatch.setitem(handlers.HANDLERS, RenderLatent, _slow_render(0.3, True, started))
    box: dict[str, BaseException] = {}

    def first():
        try:
            engine.call(RenderLatent("tiny-gan", seed=1), "preview", timeout=TIMEOUT)
        except BaseException as exc:  # noqa: BLE001 - recorded for the assertion
            box["exc"] = exc

    t = threading.Thread(target=first)
    t.start()
    assert started.wait(TIMEOUT)
    assert engine.call(RenderLatent("tiny-gan", seed=2), "preview", timeout=TIMEOUT) == "frame 2"
    t.join(TIMEOUT)
    assert isinstance(box.get("exc"), Cancelled)


def test_failing_job_reports_and_the_worker_lives_on(engine, events, monkeypatch):
    def broken(req, ctx):
        raise ValueError("The latent has the wrong size for this model.")

    original = handlers.HANDLERS[RenderLatent]
    monkeypatch.setitem(handlers.HANDLERS, RenderLatent, broken)
    job = engine.submit(RenderLatent("tiny-gan", seed=1), "render")
    assert events.wait_done(job) == "failed"
    failed = next(e for e in events.items if e.job_id == job and e.kind == "failed")
    assert failed.error == "The latent has the wrong size for this model."
    assert "Traceback" in failed.traceback and "ValueError" in failed.traceback
    handlers.HANDLERS[RenderLatent] = original
    image = engine.call(RenderLatent("tiny-gan", seed=1), timeout=TIMEOUT).image
    assert image.shape == (32, 32, 3)


def test_unexpected_errors_are_labelled_and_call_raises(engine, monkeypatch):
    def broken(req, ctx):
        raise ZeroDivisionError("boom")

    monkeypatch.setitem(handlers.HANDLERS, RenderLatent, broken)
    with pytest.raises(RuntimeError, match=r"Unexpected error \(ZeroDivisionError\): boom"):
        engine.call(RenderLatent("tiny-gan", seed=1), timeout=TIMEOUT)


def test_unknown_model_fails_with_the_known_names(engine):
    with pytest.raises(RuntimeError, match="tiny-gan"):
        engine.call(LoadModel("emoji-gan"), timeout=TIMEOUT)
    assert engine.call(LoadModel("tiny-vae"), timeout=TIMEOUT).kind == "vae"


def test_render_lane_is_fifo_and_pending_previews_go_first(engine, events, gate, monkeypatch):
    monkeypatch.setitem(handlers.HANDLERS, RenderLatent, _slow_render(0.0))
    blocker = engine.submit(GenerateGrid("tiny-gan", 1, 0), "render")
    assert gate.entered.wait(TIMEOUT)
    renders = [engine.submit(RenderLatent("tiny-gan", seed=s), "render") for s in range(3)]
    preview = engine.submit(RenderLatent("tiny-gan", seed=9), "preview")
    gate.set()
    for job in renders:
        assert events.wait_done(job) == "result"
    started = [e.job_id for e in events.items if e.kind == "started"]
    assert started == [blocker, preview, *renders]


def test_cancel_a_queued_render_job(engine, events, gate):
    blocker = engine.submit(GenerateGrid("tiny-gan", 1, 0), "render")
    assert gate.entered.wait(TIMEOUT)
    queued = engine.submit(RenderLatent("tiny-gan", seed=1), "render")
    kept = engine.submit(RenderLatent("tiny-gan", seed=2), "render")
    engine.cancel(queued)
    gate.set()
    assert events.wait_done(kept) == "result"
    events.wait_done(blocker)
    assert events.kinds(queued) == ["queued", "cancelled"]


def test_cancel_a_running_job(engine, events, monkeypatch):
    started = threading.Event()
    monkeypatch.setitem(handlers.HANDLERS, RenderLatent, _slow_render(5.0, True, started))
    job = engine.submit(RenderLatent("tiny-gan", seed=1), "render")
    assert started.wait(TIMEOUT)
    t0 = time.monotonic()
    engine.cancel(job)
    assert events.wait_done(job) == "cancelled"
    assert time.monotonic() - t0 < 1.0


def test_out_of_memory_on_the_gpu_retries_on_the_cpu(engine, events, monkeypatch):
    devices: list[str] = []

    def hungry(req, ctx):
        devices.append(ctx.device.type)
        if ctx.device.type != "cpu":
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB")
        return "small enough"

    monkeypatch.setitem(handlers.HANDLERS, RenderLatent, hungry)
    monkeypatch.setattr(engine, "device", torch.device("cuda"))
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: None)
    job = engine.submit(RenderLatent("tiny-gan", seed=1), "render")
    assert events.wait_done(job) == "result"
    assert devices == ["cuda", "cpu"]
    notes = [e.payload for e in events.items if e.job_id == job and e.kind == "progress"]
    assert any("CPU" in n["note"] for n in notes if isinstance(n, dict))


def test_a_broken_listener_does_not_stop_the_engine(engine, capsys):
    def bad(ev):
        raise RuntimeError("listener bug")

    engine.subscribe(bad)
    assert engine.call(LoadModel("tiny-gan"), timeout=TIMEOUT).kind == "gan"


def test_shutdown_joins_within_a_second(model_dir, monkeypatch, new_events):
    started = threading.Event()
    monkeypatch.setitem(handlers.HANDLERS, RenderLatent, _slow_render(30.0, True, started))
    eng = Engine("cpu")
    events = new_events()
    eng.subscribe(events)
    running = eng.submit(RenderLatent("tiny-gan", seed=1), "render")
    queued = eng.submit(RenderLatent("tiny-gan", seed=2), "render")
    assert started.wait(TIMEOUT)
    t0 = time.monotonic()
    assert eng.shutdown(timeout=1.0)
    assert time.monotonic() - t0 < 1.0
    assert events.kinds(running)[-1] == "cancelled"
    assert events.kinds(queued)[-1] == "cancelled"
    with pytest.raises(RuntimeError, match="shut down"):
        eng.submit(RenderLatent("tiny-gan", seed=3))


def test_idle_shutdown_is_quick(model_dir):
    eng = Engine("cpu")
    t0 = time.monotonic()
    assert eng.shutdown(timeout=1.0)
    assert time.monotonic() - t0 < 1.0


def test_queued_is_always_the_first_event_of_a_job(engine, events, gate, monkeypatch):
    monkeypatch.setitem(handlers.HANDLERS, RenderLatent, _slow_render(0.0))

    def slow_listener(ev: JobEvent) -> None:
        # Any listener can be slow (or be preempted) while submit emits.
        if ev.kind == "cancelled" and ev.lane == "preview":
            gate.set()
            time.sleep(0.3)

    blocker = engine.submit(GenerateGrid("tiny-gan", 1, 0), "render")
    assert gate.entered.wait(TIMEOUT)
    engine.subscribe(slow_listener)
    engine.submit(RenderLatent("tiny-gan", seed=1), "preview")
    second = engine.submit(RenderLatent("tiny-gan", seed=2), "preview")  # replaces the first
    events.wait_done(blocker)
    events.wait_done(second)
    assert events.kinds(second)[0] == "queued"


def test_a_metrics_network_is_refused_as_a_drawing_model(engine, model_dir):
    from studio.models.checkpoint import metadata_for, save_checkpoint
    from studio.models.features import FeatureNet, FeaturesConfig

    net = FeatureNet(FeaturesConfig(resolution=32, num_classes=2, width=2, feature_dim=4))
    save_checkpoint(net, model_dir / "feat.safetensors", metadata_for(net, name="feat"))
    with pytest.raises(RuntimeError, match="does not draw images"):
        engine.call(LoadModel("feat"), timeout=TIMEOUT)
    assert engine.call(LoadModel("tiny-gan"), timeout=TIMEOUT).kind == "gan"
