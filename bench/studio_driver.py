"""The studio under measurement: the real window with timing hooks, and the bare forward
pass of the same generator that latencies are compared with.

Run as a script it is the one-thread bare-forward helper ``BareOneThread`` talks to.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import REPO, now  # noqa: E402  (bench/ is not a package)

MODEL = "emoji-gan"
OTHER_MODEL = "emoji-vae"
SLIDER = "latentSlider0"
TIMEOUT_S = 120.0


def bench_checkpoints(home: Path) -> Path:
    """A model folder holding only the two models the benches use (links to the shipped
    files), so the window opens on ``MODEL`` as the first model in its picker."""
    folder = home / "checkpoints"
    folder.mkdir(parents=True, exist_ok=True)
    for name in (MODEL, OTHER_MODEL):
        (folder / f"{name}.safetensors").symlink_to(REPO / "checkpoints" / f"{name}.safetensors")
    return folder


class Bare:
    """The bare forward pass of the generator, batch 1: mapping + synthesis."""

    def __init__(self) -> None:
        from studio.models.catalog import resolve_model
        from studio.models.checkpoint import load_checkpoint

        self.model = load_checkpoint(resolve_model(MODEL), "cpu")
        self.module: Any = self.model.module
        self.z = self.module.sample_latents(1, 0)
        self.times: list[float] = []

    def once(self) -> None:
        import torch

        m = self.module
        with torch.inference_mode():
            ws = m.map(self.z, 1.0).unsqueeze(1).repeat(1, m.num_ws, 1)
            m.synthesize(ws)

    def measure(self, n: int, warm: bool = True) -> list[float]:
        if warm:
            self.once()  # allocator and caches, after whatever ran before
        out = []
        for _ in range(n):
            t0 = now()
            self.once()
            out.append(now() - t0)
        self.times += out
        return out


class BareOneThread:
    """The same bare forward at one torch thread, in a helper process (so the thread
    setting cannot leak into this process), asked for timings interleaved with ours."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )
        self.times: list[float] = []

    def measure(self, n: int, warm: bool = True) -> list[float]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{n} {int(warm)}\n")
        self.proc.stdin.flush()
        out = json.loads(self.proc.stdout.readline())
        self.times += out
        return out

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(10)


def bare_helper() -> None:
    import torch

    torch.set_num_threads(1)
    bare = Bare()
    for line in sys.stdin:
        n, warm = line.split()
        print(json.dumps(bare.measure(int(n), warm == "1")), flush=True)


class Studio:
    """The window, with hooks that time frames through every stage.

    Timeline per preview job (``perf_counter``): ``started``/``result`` from an engine
    listener (on the worker thread), ``shown`` when ``frameShown`` fires (the pixmap is
    on the canvas, repaint scheduled), ``paint_start`` (viewport paint event) and
    ``painted`` (``CanvasView.framePainted``, after the viewport has been painted).
    """

    def __init__(self, preview_threads: int | None = None) -> None:
        from PySide6.QtCore import QEvent, QObject, QTimer
        from PySide6.QtWidgets import QApplication, QComboBox, QSlider

        from studio.engine import Engine
        from studio.ui import create_main_window

        self.app = QApplication.instance() or QApplication([sys.argv[0]])
        self.engine_log: list[tuple[float, int, str, str]] = []  # (t, job, lane, kind)
        self.worker_threads: set[int] = set()
        self.want_threads = preview_threads  # applied on the worker at a preview's start
        self.default_worker_threads = 0
        self.jobs: dict[int, dict[str, float]] = {}
        # The engine the window would make itself, made here so that our listener is
        # called before the bridge's (which hands the frame to the UI thread).
        engine = Engine()
        engine.subscribe(self._engine_event)
        self.window = create_main_window(engine)
        self.window.resize(1280, 820)
        self.c = self.window.controller
        self.bridge = self.window.bridge
        self.canvas = self.window.canvas
        slider = self.window.findChild(QSlider, SLIDER)
        combo = self.window.findChild(QComboBox, "modelCombo")
        assert slider is not None and combo is not None
        self.slider: Any = slider
        self.combo: Any = combo
        self.timeline: list[tuple[float, str]] = []  # UI-thread events
        self.canvas_state: Any = None
        self.directions_for = ""
        self.painted_state: Any = None
        self.painted_at = 0.0
        self.paint_times: list[float] = []
        self._waiter: tuple[Callable[[], bool], Any] | None = None
        self._paint_start = 0.0
        self._timer_cls = QTimer

        self.window.frameShown.connect(self._shown)
        self.canvas.framePainted.connect(self._painted)
        self.c.frameReady.connect(self._frame_ready)
        self.c.stateChanged.connect(lambda _s: self._mark("stateChanged"))
        self.c.modelReady.connect(lambda i: self._mark(f"modelReady {i.name}"))
        self.c.directionsReady.connect(self._directions)
        self.bridge.busyChanged.connect(lambda b: self._mark(f"busy {b}"))

        studio = self

        class PaintWatch(QObject):
            def eventFilter(self, _obj: QObject, event: QEvent) -> bool:
                if event.type() == QEvent.Type.Paint:
                    studio._paint_start = now()
                    studio._mark("paint start")
                return False

        self._paint_watch = PaintWatch()
        self.canvas.viewport().installEventFilter(self._paint_watch)
        self.window.show()

    # -------------------------------------------------------------- hooks

    def _mark(self, label: str) -> None:
        self.timeline.append((now(), label))
        self._check()

    def _engine_event(self, event: Any) -> None:
        """On the engine's threads: note when jobs start and end."""
        import torch

        t = now()
        if event.kind == "started":
            if not self.default_worker_threads:
                self.default_worker_threads = torch.get_num_threads()
            want = self.want_threads
            if event.lane == "preview" and want and want != torch.get_num_threads():
                torch.set_num_threads(want)
            self.worker_threads.add(torch.get_num_threads())
        self.engine_log.append((t, event.job_id, event.lane, event.kind))
        if event.lane == "preview" and event.kind in ("started", "result"):
            self.jobs.setdefault(event.job_id, {})[event.kind] = t

    def _frame_ready(self, result: Any, _state: Any, stamp: float) -> None:
        job = self.bridge.newest("preview")
        if job is not None:
            info = self.jobs.setdefault(job, {})
            info["submitted"] = stamp
            info["model_ms"] = result.model_ms

    def _shown(self, _frame: Any) -> None:
        self.canvas_state = self.c.shown_state
        job = self.bridge.newest("preview")
        if job is not None:
            self.jobs.setdefault(job, {})["shown"] = now()
        self._mark("frameShown")

    def _painted(self, _ms: float) -> None:
        t = now()
        if self.canvas_state is not None:
            self.painted_state, self.canvas_state = self.canvas_state, None
            self.painted_at = t
            self.paint_times.append(t)
            job = self.bridge.newest("preview")
            if job is not None:
                info = self.jobs.setdefault(job, {})
                info["painted"] = t
                info["paint_start"] = self._paint_start
        self._mark("framePainted")

    def _directions(self, info: Any) -> None:
        self.directions_for = info.model
        self._mark(f"directionsReady {info.model}")

    def _check(self) -> None:
        if self._waiter is not None and self._waiter[0]():
            self._waiter[1].quit()

    # -------------------------------------------------------------- waiting

    def wait_until(self, pred: Callable[[], bool], timeout: float = TIMEOUT_S) -> None:
        """Run the event loop until ``pred()`` (checked at every hooked event)."""
        from PySide6.QtCore import QEventLoop, QTimer

        if pred():
            return
        loop = QEventLoop()
        self._waiter = (pred, loop)
        guard = QTimer(singleShot=True, interval=int(timeout * 1000))
        guard.timeout.connect(loop.quit)
        poll = QTimer(interval=50)  # for conditions no hooked signal announces
        poll.timeout.connect(self._check)
        guard.start()
        poll.start()
        loop.exec()
        poll.stop()
        guard.stop()
        self._waiter = None
        if not pred():
            raise TimeoutError("The studio did not get there in time.")

    def idle(self, ms: int) -> None:
        """Let the event loop run for ``ms``."""
        from PySide6.QtCore import QEventLoop, QTimer

        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def value_painted(self, steps: int) -> bool:
        s = self.painted_state
        return (
            s is not None
            and s.model == MODEL
            and s.edits[0] == self.slider.number(steps)
            and self.c.state.edits[0] == self.slider.number(steps)
        )

    def ready(self, model: str) -> bool:
        """``model`` loaded, its directions in, its current state painted."""
        info = self.c.model_info
        s = self.painted_state
        return (
            info is not None
            and info.name == model
            and self.directions_for == model
            and s is not None
            and s == self.c.state
            and s.model == model
        )

    def pick_model(self, name: str) -> None:
        self.directions_for = ""
        self.combo.setCurrentIndex(self.combo.findData(name))

    def close(self) -> None:
        self.window.close()


def next_value(rng: random.Random, current: int, lo: int = -300, hi: int = 300) -> int:
    """A slider position a few steps from ``current`` (as a drag gives), never equal."""
    while True:
        v = max(lo, min(hi, current + rng.choice([-1, 1]) * rng.randint(1, 12)))
        if v != current:
            return v


STAGES = ("ui_to_submit", "queue", "model", "engine_other", "deliver", "paint")


def slider_moves(
    st: Studio,
    rng: random.Random,
    moves: int,
    bare: Bare,
    bare1: BareOneThread | None,
    warm: int = 10,
) -> dict[str, list[float]]:
    """``moves`` single moves (each waits for its frame), each followed by one bare
    forward here (default threads) and one in the one-thread helper, so the baselines
    see the same moment of machine load as the move they pair with."""
    rec: dict[str, list[float]] = {
        k: []
        for k in (
            "latency",
            "bare",
            "bare1",
            "ui_to_submit",
            "queue",
            "model",
            "engine_other",
            "deliver",
            "paint",
        )
    }
    for i in range(warm + moves):
        v = next_value(rng, st.slider.value())
        t0 = now()
        st.slider.setValue(v)
        job = st.bridge.newest("preview")
        st.wait_until(lambda v=v: st.value_painted(v))
        if i < warm:
            continue
        rec["latency"].append(st.painted_at - t0)
        info = st.jobs.get(job or -1, {})
        if {"submitted", "started", "result", "shown", "painted"} <= info.keys():
            rec["ui_to_submit"].append(info["submitted"] - t0)
            rec["queue"].append(info["started"] - info["submitted"])
            rec["model"].append(info["model_ms"] / 1000)
            rec["engine_other"].append(info["result"] - info["started"] - info["model_ms"] / 1000)
            rec["deliver"].append(info["shown"] - info["result"])
            rec["paint"].append(info["painted"] - info["shown"])
        rec["bare"] += bare.measure(1, warm=False)
        if bare1 is not None:
            rec["bare1"] += bare1.measure(1, warm=False)
    return rec


def run_burst(st: Studio, rng: random.Random, n: int = 100, gap_ms: int = 5) -> dict[str, Any]:
    """``n`` moves ``gap_ms`` apart from a QTimer; returns timings of the final frame."""
    from PySide6.QtCore import Qt, QTimer

    values = []
    v = st.slider.value()
    for _ in range(n):
        v = next_value(rng, v)
        values.append(v)
    moves: list[float] = []
    paints_before = len(st.paint_times)
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(gap_ms)

    def tick() -> None:
        moves.append(now())
        st.slider.setValue(values[len(moves) - 1])
        if len(moves) == n:
            timer.stop()
            st._check()

    timer.timeout.connect(tick)
    timer.start()
    final = values[-1]
    st.wait_until(lambda: len(moves) == n and st.painted_at > moves[-1] and st.value_painted(final))
    paints = st.paint_times[paints_before:]
    first, last = moves[0], moves[-1]
    return {
        "final_ms": (st.painted_at - last) * 1000,
        "frames_during": sum(1 for t in paints if first <= t <= last),
        "frames_after_last_move": sum(1 for t in paints if t > last),
        "period_ms": (last - first) / (n - 1) * 1000,
        "start": first,
        "end": st.painted_at,
    }


if __name__ == "__main__":
    bare_helper()
