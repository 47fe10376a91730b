"""EngineBridge: events arrive on the UI thread, stale previews never do."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from studio.app.bridge import EngineBridge
from studio.engine import ComputeDirections, Engine, JobEvent, LoadModel, RenderLatent
from studio.engine import handlers as engine_handlers
from studio.engine.handlers import JobContext, ModelInfo, RenderResult


@pytest.fixture
def bridge(qtbot: QtBot, model_dir: Path):
    b = EngineBridge(Engine("cpu"))
    yield b
    b.shutdown()


def test_results_arrive_on_the_ui_thread(qtbot: QtBot, bridge: EngineBridge) -> None:
    threads: list[threading.Thread] = []
    bridge.jobEvent.connect(lambda _ev: threads.append(threading.current_thread()))
    with qtbot.waitSignal(bridge.modelLoaded, timeout=10_000) as blocker:
        bridge.submit(LoadModel("tiny-gan"), "render")
    info = blocker.args[0]
    assert isinstance(info, ModelInfo) and info.name == "tiny-gan" and info.num_layers > 0
    assert threads and all(t is threading.main_thread() for t in threads)
    qtbot.waitUntil(lambda: not bridge.busy, timeout=5_000)


def test_a_result_that_went_stale_in_the_queue_is_dropped(
    qtbot: QtBot, bridge: EngineBridge
) -> None:
    # Job A finishes on the engine thread, but before the UI thread looks at its
    # result, job B is submitted: A's frame must never be shown.
    a_done = threading.Event()
    a_id: list[int] = []

    def watch(ev: JobEvent) -> None:
        if a_id and ev.job_id == a_id[0] and ev.kind == "finished":
            a_done.set()

    bridge.engine.subscribe(watch)
    a_req, b_req = RenderLatent("tiny-gan", seed=1), RenderLatent("tiny-gan", seed=2)
    shown: list[RenderResult] = []
    bridge.previewReady.connect(shown.append)
    a_id.append(bridge.submit(a_req, "preview"))
    assert a_done.wait(10), "job A did not finish"
    with qtbot.waitSignal(bridge.previewReady, timeout=10_000):
        bridge.submit(b_req, "preview")
    qtbot.waitUntil(lambda: not bridge.busy, timeout=5_000)
    assert [r.request for r in shown] == [b_req]


def test_failures_are_reported_and_the_next_job_works(
    qtbot: QtBot, bridge: EngineBridge, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(req: RenderLatent, ctx: JobContext) -> RenderResult:
        raise ValueError("the model exploded")

    original = engine_handlers.HANDLERS[RenderLatent]
    monkeypatch.setitem(engine_handlers.HANDLERS, RenderLatent, boom)
    with qtbot.waitSignal(bridge.failed, timeout=10_000) as blocker:
        bridge.submit(RenderLatent("tiny-gan", seed=1), "preview")
    assert blocker.args[0] == "the model exploded"
    assert "ValueError" in blocker.args[1]
    monkeypatch.setitem(engine_handlers.HANDLERS, RenderLatent, original)
    with qtbot.waitSignal(bridge.previewReady, timeout=10_000) as ok:
        bridge.submit(RenderLatent("tiny-gan", seed=1), "preview")
    assert ok.args[0].image.shape == (32, 32, 3)


def test_shutdown_cancels_a_running_job_and_joins_quickly(
    qtbot: QtBot, bridge: EngineBridge, monkeypatch: pytest.MonkeyPatch
) -> None:
    def slow(req: ComputeDirections, ctx: JobContext) -> None:
        for _ in range(1000):  # 10 s unless cancelled
            ctx.cancel.check()
            time.sleep(0.01)

    monkeypatch.setitem(engine_handlers.HANDLERS, ComputeDirections, slow)
    with qtbot.waitSignal(
        bridge.jobEvent, timeout=10_000, check_params_cb=lambda ev: ev.kind == "started"
    ):
        bridge.submit(ComputeDirections("tiny-gan"), "render")
    start = time.perf_counter()
    assert bridge.shutdown(1.0)
    assert time.perf_counter() - start < 1.0
    assert bridge.is_shut_down
    with pytest.raises(RuntimeError):
        bridge.submit(LoadModel("tiny-gan"), "render")
