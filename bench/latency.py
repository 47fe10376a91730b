"""Benchmark the studio's responsiveness: slider → pixels, bursts, start-up, UI blocking.

Prints JSON (``headline`` sums it up). Everything runs on the real window (offscreen Qt,
a fresh ``LATENT_STUDIO_HOME``, the shipped ``emoji-gan``), with torch's thread count
left at its default. Latencies are also given as ratios to the bare forward pass of the
same generator at batch 1 (``inference_mode``, mapping + synthesis), measured in the
same run: one bare pass right after each measured move (and one at one torch thread in
a helper process), so each baseline sees the same moment of machine load.

1. ``slider_to_pixels``: ``latentSlider0.setValue`` → the new frame painted on the
   canvas (after the QGraphicsView viewport repaint: ``CanvasView.framePainted``), one
   move at a time, with a per-stage breakdown. ``..._dragged`` holds the slider down
   first (``setSliderDown``), so the moves take the drag path (preview, no undo step).
2. ``burst``: 100 moves 5 ms apart (QTimer), then the time from the last move to its
   exact frame painted, in bare forward passes; frames painted meanwhile; RSS.
3. ``startup``: a fresh ``python -c`` that builds and shows the window and exits at the
   first painted image; seconds since the process started (``/proc/self/stat``).
4. ``ui_blocking``: a 1 ms QTimer heartbeat on the UI thread during a burst and during
   model switches (emoji-gan → emoji-vae → emoji-gan via ``modelCombo``); the longest
   gap, and for each long gap how the UI thread spent it (running, runnable without a
   CPU, blocked: from ``/proc/thread-self/schedstat``) and what ran meanwhile.

What-ifs (skip with ``--skip threads``): ``what_if_engine_threads`` alternates blocks of
moves and bursts between the engine worker's default torch threads and one thread (set
on the worker from an engine listener); ``startup.what_if_torch_threads_1`` interleaves
start-ups whose torch uses one thread. ``--preview-threads N`` runs everything with the
worker at N threads.

The machine's load (``os.getloadavg``) and the CPU time other processes took during
each part are reported with the figures.

    python bench/latency.py [--moves 200] [--bursts 4] [--startup-runs 5]
                            [--skip slider,drag,burst,ui,threads,startup]
                            [--preview-threads N] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
MODEL = "emoji-gan"
OTHER_MODEL = "emoji-vae"
SLIDER = "latentSlider0"
TIMEOUT_S = 120.0
CLK_TCK = os.sysconf("SC_CLK_TCK")
TARGETS = {
    "slider_ratio_to_bare": 1.5,
    "slider_median_ms": 16.0,
    "burst_final_in_forwards": 2.0,
    "startup_s": 3.0,
    "ui_longest_gap_ms": 16.0,
}

now = time.perf_counter


# ---------------------------------------------------------------------- small helpers


def bench_checkpoints(home: Path) -> Path:
    """A model folder holding only the two models the benches use (links to the shipped
    files), so the window opens on ``MODEL`` as the first model in its picker."""
    folder = home / "checkpoints"
    folder.mkdir(parents=True, exist_ok=True)
    for name in (MODEL, OTHER_MODEL):
        (folder / f"{name}.safetensors").symlink_to(REPO / "checkpoints" / f"{name}.safetensors")
    return folder


def pct(xs: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``xs``, linear between ranks."""
    s = sorted(xs)
    if not s:
        return float("nan")
    pos = (len(s) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def r(x: float, nd: int = 2) -> float:
    return round(float(x), nd)


def summary_ms(xs: list[float]) -> dict[str, float]:
    """median / p90 / min / max of seconds, in ms."""
    return {
        "median": r(statistics.median(xs) * 1000),
        "p90": r(pct(xs, 0.9) * 1000),
        "min": r(min(xs) * 1000),
        "max": r(max(xs) * 1000),
    }


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def loadavg() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]


class CpuWatch:
    """How many cores other processes kept busy between ``start`` and ``stop``."""

    @staticmethod
    def _system() -> tuple[int, int]:
        with open("/proc/stat") as f:
            vals = [int(v) for v in f.readline().split()[1:]]
        idle = vals[3] + vals[4]  # idle + iowait
        return sum(vals[:8]), idle

    @staticmethod
    def _self() -> int:
        with open("/proc/self/stat") as f:
            s = f.read()
        fields = s[s.rindex(")") + 2 :].split()
        # utime + stime of all threads, and of children waited for (start-up runs)
        return sum(int(v) for v in fields[11:15])

    def __init__(self) -> None:
        self.t0 = now()
        self.total0, self.idle0 = self._system()
        self.self0 = self._self()
        self.load0 = loadavg()

    def stop(self) -> dict[str, Any]:
        seconds = now() - self.t0
        total, idle = self._system()
        busy = (total - self.total0) - (idle - self.idle0)
        ours = self._self() - self.self0
        return {
            "seconds": r(seconds, 1),
            "loadavg_before": self.load0,
            "loadavg_after": loadavg(),
            "this_process_and_children_cores": r(ours / CLK_TCK / seconds),
            "other_processes_cores": r(max(0, busy - ours) / CLK_TCK / seconds),
        }


# ---------------------------------------------------------------------- bare forward


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
            [sys.executable, __file__, "--bare-helper"],
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


# ---------------------------------------------------------------------- the studio


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


# ---------------------------------------------------------------------- 1. slider → pixels


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


STAGES = ("ui_to_submit", "queue", "model", "engine_other", "deliver", "paint")


def slider_to_pixels(
    st: Studio, bare: Bare, bare1: BareOneThread | None, moves: int, drag: bool
) -> dict[str, Any]:
    watch = CpuWatch()
    if drag:
        st.slider.setSliderDown(True)
    bare.measure(3)
    rec = slider_moves(st, random.Random(1 if drag else 0), moves, bare, bare1)
    if drag:
        st.slider.setSliderDown(False)
        st.wait_until(lambda: st.c.shown_state == st.c.state)
    lat = rec["latency"]
    med = statistics.median(lat) * 1000
    bare_ms = statistics.median(rec["bare"]) * 1000
    out: dict[str, Any] = {
        "moves": moves,
        "path": "held down (drag: preview, no undo step)" if drag else "setValue (commit)",
        "latency_ms": summary_ms(lat),
        "bare_forward_ms": summary_ms(rec["bare"]),
        "ratio_median_to_bare": r(med / bare_ms),
        "stage_median_ms": {k: r(statistics.median(rec[k]) * 1000) for k in STAGES if rec[k]},
        "ui_overhead_ms_median": r(
            statistics.median(t - m for t, m in zip(rec["latency"], rec["model"], strict=False))
            * 1000
        ),
    }
    if rec["bare1"]:
        bare1_ms = statistics.median(rec["bare1"]) * 1000
        out["bare_forward_1thread_ms"] = summary_ms(rec["bare1"])
        out["ratio_median_to_bare_1thread"] = r(med / bare1_ms)
    out["load"] = watch.stop()
    return out


def engine_threads_ab(
    st: Studio, bare: Bare, bare1: BareOneThread | None, moves: int, block: int = 10
) -> dict[str, Any]:
    """What-if: the engine worker at its default torch threads vs one thread, in
    alternating blocks of moves in one run (set on the worker thread from an engine
    listener as each preview starts; this thread keeps its own setting)."""
    watch = CpuWatch()
    default = st.default_worker_threads
    arms: dict[int, dict[str, list[float]]] = {}
    rng = random.Random(5)
    burst_rng = random.Random(6)
    for b in range(max(2, moves // block)):
        threads = default if b % 2 == 0 else 1
        st.want_threads = threads
        rec = slider_moves(st, rng, block, bare, bare1, warm=2)
        arm = arms.setdefault(threads, {})
        for k, v in rec.items():
            arm.setdefault(k, []).extend(v)
        if b < 4:  # two bursts per arm
            burst = run_burst(st, burst_rng)
            arm.setdefault("burst_final", []).append(burst["final_ms"] / 1000)
            arm.setdefault("burst_frames", []).append(burst["frames_during"])
            st.idle(200)
    st.want_threads = default
    out: dict[str, Any] = {"moves_per_arm": len(arms[1]["latency"]), "block": block}
    for threads, rec in sorted(arms.items(), reverse=True):
        out[f"engine_threads_{threads}"] = {
            "latency_ms": summary_ms(rec["latency"]),
            "model_ms": summary_ms(rec["model"]),
            "burst_final_ms": [r(x * 1000) for x in rec["burst_final"]],
            "burst_frames_painted_during": rec["burst_frames"],
        }
    out["bare_forward_ms_median"] = r(
        statistics.median(v for rec in arms.values() for v in rec["bare"]) * 1000
    )
    bare1_all = [v for rec in arms.values() for v in rec["bare1"]]
    if bare1_all:
        out["bare_forward_1thread_ms_median"] = r(statistics.median(bare1_all) * 1000)
    out["load"] = watch.stop()
    return out


# ---------------------------------------------------------------------- 2. bursts


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


def bursts(
    st: Studio, bare: Bare, count: int, part1_bare_ms: float | None = None
) -> dict[str, Any]:
    rng = random.Random(2)
    watch = CpuWatch()
    rss = [r(rss_mb(), 1)]
    undo0 = st.c.undo_stack.count()
    runs = []
    bare_t: list[float] = []
    back_to_back: list[float] = []
    for _ in range(count):
        # The unit: single forwards spaced out as in part 1 (what one frame costs);
        # back-to-back forwards are reported too (on a loaded machine they differ).
        for _ in range(10):
            bare_t += bare.measure(1, warm=False)
            st.idle(5)
        back_to_back += bare.measure(10, warm=False)
        runs.append(run_burst(st, rng))
        st.idle(300)
        rss.append(r(rss_mb(), 1))
    bare_ms = statistics.median(bare_t) * 1000
    finals = [b["final_ms"] for b in runs]
    return {
        "bursts": count,
        "moves_per_burst": 100,
        "move_period_ms_median": r(statistics.median(b["period_ms"] for b in runs)),
        "final_frame_after_last_move_ms": [r(x) for x in finals],
        "final_frame_after_last_move_ms_median": r(statistics.median(finals)),
        "bare_forward_ms_median": r(bare_ms),
        "bare_forward_back_to_back_ms_median": r(statistics.median(back_to_back) * 1000),
        "final_in_forwards_median": r(statistics.median(finals) / bare_ms),
        "final_in_forwards_max": r(max(finals) / bare_ms),
        "final_in_forwards_of_part1_bare": (
            r(statistics.median(finals) / part1_bare_ms) if part1_bare_ms else None
        ),
        "frames_painted_during_burst": [b["frames_during"] for b in runs],
        "frames_painted_after_last_move": [b["frames_after_last_move"] for b in runs],
        "rss_mb_before_and_after_each": rss,
        "rss_growth_mb": r(rss[-1] - rss[0], 1),
        "undo_steps_added": st.c.undo_stack.count() - undo0,
        "load": watch.stop(),
    }


# ---------------------------------------------------------------------- 4. UI blocking


def thread_schedstat() -> tuple[int, int]:
    """This thread's (ns on a CPU, ns runnable but waiting for a CPU), from the kernel."""
    with open("/proc/thread-self/schedstat") as f:
        run, wait, _ = f.read().split()
    return int(run), int(wait)


class Heartbeat:
    """A 1 ms QTimer on the UI thread; long gaps between beats mean a blocked thread.

    Each beat also reads the thread's scheduler counters, so a long gap splits into
    time the UI thread ran (its own work: paint, slots), time it was runnable but had
    no CPU (other threads and processes), and the rest, asleep although a timer was
    due: blocked, e.g. waiting for the GIL held by the engine's thread.
    """

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.beats: list[tuple[float, int, int]] = []
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(1)
        self.timer.timeout.connect(self.beat)

    def beat(self) -> None:
        self.beats.append((now(), *thread_schedstat()))

    def start(self) -> None:
        self.beats = []
        self.beat()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        self.beat()

    def gaps_ms(self) -> list[float]:
        return [(b[0] - a[0]) * 1000 for a, b in zip(self.beats, self.beats[1:], strict=False)]

    def summary(self, limit: float) -> dict[str, Any]:
        gaps = self.gaps_ms()
        return {
            "beats": len(self.beats),
            "longest_gap_ms": r(max(gaps)),
            "gaps_over_16ms": sum(1 for g in gaps if g > limit),
            "median_gap_ms": r(statistics.median(gaps)),
        }


def explain_gaps(
    st: Studio, hb: Heartbeat, limit_ms: float, t0: float, keep: int = 6
) -> list[dict[str, Any]]:
    """The longest gaps over ``limit_ms``: when, where the time went, what ran meanwhile."""
    pairs = [
        (a, b)
        for a, b in zip(hb.beats, hb.beats[1:], strict=False)
        if (b[0] - a[0]) * 1000 > limit_ms
    ]
    pairs = sorted(pairs, key=lambda p: p[0][0] - p[1][0])[:keep]
    out = []
    for a, b in sorted(pairs):
        ta, tb = a[0], b[0]
        gap = (tb - ta) * 1000
        ran = (b[1] - a[1]) / 1e6
        waited = (b[2] - a[2]) / 1e6
        ui = [label for t, label in st.timeline if ta <= t <= tb]
        engine = [
            f"{kind} {lane} job {job}" for t, job, lane, kind in st.engine_log if ta <= t <= tb
        ]
        out.append(
            {
                "at_ms": r((ta - t0) * 1000, 1),
                "gap_ms": r(gap),
                "ui_thread_ran_ms": r(ran),
                "ui_thread_runnable_no_cpu_ms": r(waited),
                "ui_thread_blocked_ms": r(max(0.0, gap - ran - waited)),
                "ui_events_in_gap": ui[:12],
                "engine_events_in_gap": engine[:12],
            }
        )
    return out


def blame(long_gaps: list[dict[str, Any]]) -> dict[str, float]:
    """Summed over the long gaps: where the UI thread's time went."""
    keys = ("ui_thread_ran_ms", "ui_thread_runnable_no_cpu_ms", "ui_thread_blocked_ms")
    return {k: r(sum(g[k] for g in long_gaps)) for k in keys}


def ui_blocking(st: Studio) -> dict[str, Any]:
    limit = TARGETS["ui_longest_gap_ms"]
    hb = Heartbeat()
    result: dict[str, Any] = {}

    # (a) a burst of slider moves
    watch = CpuWatch()
    hb.start()
    t0 = now()
    b = run_burst(st, random.Random(3))
    st.idle(100)
    hb.stop()
    long_gaps = explain_gaps(st, hb, limit, t0)
    result["burst"] = {
        **hb.summary(limit),
        "final_frame_after_last_move_ms": r(b["final_ms"]),
        "long_gaps_time_split_ms": blame(long_gaps),
        "long_gaps": long_gaps,
        "load": watch.stop(),
    }

    # (b) model switches through the combo box
    watch = CpuWatch()
    hb.start()
    t0 = now()
    switches = {}
    for name in (OTHER_MODEL, MODEL):
        ts = now()
        st.pick_model(name)
        st.wait_until(lambda name=name: st.ready(name))
        switches[name] = r((st.painted_at - ts) * 1000, 1)
        st.idle(200)
    hb.stop()
    long_gaps = explain_gaps(st, hb, limit, t0)
    result["model_switch"] = {
        **hb.summary(limit),
        "switch_to_first_frame_ms": switches,
        "long_gaps_time_split_ms": blame(long_gaps),
        "long_gaps": long_gaps,
        "load": watch.stop(),
    }
    result["longest_gap_ms"] = max(
        result["burst"]["longest_gap_ms"], result["model_switch"]["longest_gap_ms"]
    )
    return result


# ---------------------------------------------------------------------- 3. start-up

STARTUP_CODE = r"""
import time; T0 = time.perf_counter()
import json, os
def since_process_start():
    with open("/proc/self/stat") as f:
        s = f.read()
    start = int(s[s.rindex(")") + 2:].split()[19]) / os.sysconf("SC_CLK_TCK")
    return time.clock_gettime(time.CLOCK_BOOTTIME) - start
before_top = since_process_start() - (time.perf_counter() - T0)
marks = {}
def mark(k):
    marks[k] = round(time.perf_counter() - T0, 3)
from PySide6.QtWidgets import QApplication
app = QApplication(["studio"])
mark("qapplication")
import studio.ui.window
from studio.ui import create_main_window
mark("imports")
win = create_main_window()
mark("window_built")
win.show()
mark("shown")
win.controller.modelReady.connect(lambda *_: mark("model_loaded"))
def engine_event(ev):
    if ev.lane == "preview" and ev.kind in ("started", "result"):
        marks.setdefault("first_preview_" + ev.kind, round(time.perf_counter() - T0, 3))
win.bridge.engine.subscribe(engine_event)
model_ms = []
win.controller.frameReady.connect(lambda res, *_: model_ms.append(round(res.model_ms, 1)))
def painted(_ms):
    mark("first_frame_painted")
    print(json.dumps({
        "since_process_start_s": since_process_start(),
        "since_interpreter_top_s": time.perf_counter() - T0,
        "process_start_to_top_s": before_top,
        "marks_s": marks,
        "first_frame_model_ms": model_ms[0] if model_ms else None,
    }), flush=True)
    app.quit()
win.canvas.framePainted.connect(painted)
app.exec()
win.close()
"""


STARTUP_THREADS_1 = "import torch\ntorch.set_num_threads(1)\n"


def start_once(code: str) -> tuple[dict[str, Any], float]:
    """One fresh process with its own data folder: its report, and the parent's wall time."""
    env = os.environ.copy()
    env["LATENT_STUDIO_HOME"] = tempfile.mkdtemp(prefix="studio-bench-start-")
    t0 = now()
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=tempfile.gettempdir(),
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    wall = now() - t0
    proc.wait(60)
    return json.loads(line), wall


def startup(runs: int, what_if: bool) -> dict[str, Any]:
    """``what_if``: interleave runs whose torch uses one thread (set before the engine
    exists, so its worker thread inherits it), to show what that would change."""
    watch = CpuWatch()
    results = []
    walls = []
    one_thread = []
    for _ in range(runs):
        res, wall = start_once(STARTUP_CODE)
        results.append(res)
        walls.append(wall)
        if what_if:
            code = STARTUP_CODE.replace("\nmarks = {}", "\n" + STARTUP_THREADS_1 + "marks = {}", 1)
            one_thread.append(start_once(code)[0])
    firsts = [x["since_process_start_s"] for x in results]
    keys = [k for k in results[0]["marks_s"] if all(k in x["marks_s"] for x in results)]
    out = {
        "runs": runs,
        "first_frame_since_process_start_s": [r(x, 3) for x in firsts],
        "median_s": r(statistics.median(firsts), 3),
        "parent_popen_to_first_frame_s_median": r(statistics.median(walls), 3),
        "first_frame_model_ms_median": r(
            statistics.median(x["first_frame_model_ms"] or 0 for x in results), 1
        ),
        "process_start_to_interpreter_top_s_median": r(
            statistics.median(x["process_start_to_top_s"] for x in results), 3
        ),
        "marks_since_interpreter_top_s_median": {
            k: r(statistics.median(x["marks_s"][k] for x in results), 3) for k in keys
        },
    }
    if one_thread:
        out["what_if_torch_threads_1"] = {
            "first_frame_since_process_start_s": [
                r(x["since_process_start_s"], 3) for x in one_thread
            ],
            "median_s": r(statistics.median(x["since_process_start_s"] for x in one_thread), 3),
            "first_frame_model_ms_median": r(
                statistics.median(x["first_frame_model_ms"] or 0 for x in one_thread), 1
            ),
            "marks_since_interpreter_top_s_median": {
                k: r(statistics.median(x["marks_s"].get(k, 0) for x in one_thread), 3) for k in keys
            },
        }
    out["load"] = watch.stop()
    return out


# ---------------------------------------------------------------------- main


def headline(report: dict[str, Any]) -> dict[str, Any]:
    """The five target figures side by side, with the load they were measured under."""
    out: dict[str, Any] = {}
    s = report.get("slider_to_pixels")
    if s:
        out["slider_median_ms"] = s["latency_ms"]["median"]
        out["slider_p90_ms"] = s["latency_ms"]["p90"]
        out["slider_bare_forward_ms"] = s["bare_forward_ms"]["median"]
        out["slider_ratio_to_bare"] = s["ratio_median_to_bare"]
    b = report.get("burst")
    if b:
        out["burst_final_in_forwards"] = b["final_in_forwards_median"]
        out["burst_frames_painted_during"] = b["frames_painted_during_burst"]
        out["burst_rss_growth_mb"] = b["rss_growth_mb"]
    if "startup" in report:
        out["startup_median_s"] = report["startup"]["median_s"]
    if "ui_blocking" in report:
        out["ui_longest_gap_ms"] = report["ui_blocking"]["longest_gap_ms"]
    load = report["load"]
    out["loadavg_1m_at_end"] = load["loadavg_after"][0]
    out["other_processes_cores"] = load["other_processes_cores"]
    return out


def git_state() -> dict[str, Any]:
    """Which code was measured: the commit, and the files changed on top of it."""

    def git(*a: str) -> str:
        try:
            return subprocess.run(
                ["git", *a], cwd=REPO, capture_output=True, text=True, timeout=10
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    changed = [line[3:] for line in git("status", "--porcelain").splitlines()]
    return {"head": git("rev-parse", "--short", "HEAD"), "changed_files": len(changed)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--moves", type=int, default=200)
    ap.add_argument("--bursts", type=int, default=4)
    ap.add_argument("--startup-runs", type=int, default=5)
    ap.add_argument(
        "--skip", default="", help="comma-separated: slider,drag,burst,ui,threads,startup"
    )
    ap.add_argument("--preview-threads", type=int, default=0)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--bare-helper", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.bare_helper:
        bare_helper()
        return
    skip = set(filter(None, args.skip.split(",")))

    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    home = Path(tempfile.mkdtemp(prefix="studio-bench-"))
    os.environ["LATENT_STUDIO_HOME"] = str(home)
    os.environ["LATENT_STUDIO_CHECKPOINTS"] = str(bench_checkpoints(home))
    report: dict[str, Any] = {"bench": "latency", "model": MODEL}
    started = CpuWatch()

    import PySide6
    import torch

    bare1 = BareOneThread()
    bare = Bare()
    bare.measure(3)  # this thread's torch threads are set up at the default here
    t_window = now()
    st = Studio(args.preview_threads or None)
    st.wait_until(lambda: st.painted_state is not None)
    t_first = now()
    st.wait_until(lambda: st.ready(MODEL))
    t_ready = now()
    report["setup"] = {
        "cores": os.cpu_count(),
        "torch": torch.__version__,
        "pyside6": PySide6.__version__,
        "torch_threads_main": torch.get_num_threads(),
        "qt_platform": os.environ["QT_QPA_PLATFORM"],
        "window": [st.window.width(), st.window.height()],
        "canvas_viewport": [st.canvas.viewport().width(), st.canvas.viewport().height()],
        "python_switch_interval_ms": sys.getswitchinterval() * 1000,
        "what_if_preview_threads": args.preview_threads or None,
        # A fresh data folder: the GAN's slider directions are computed (then cached);
        # the sliders stay disabled, and the one engine worker busy, until then.
        "window_to_first_frame_s": r(t_first - t_window, 3),
        "window_to_sliders_enabled_s": r(t_ready - t_window, 3),
        "git": git_state(),
    }
    try:
        if "slider" not in skip:
            report["slider_to_pixels"] = slider_to_pixels(st, bare, bare1, args.moves, False)
        if "drag" not in skip:
            report["slider_to_pixels_dragged"] = slider_to_pixels(
                st, bare, bare1, max(50, args.moves // 2), True
            )
        if "burst" not in skip:
            s1 = report.get("slider_to_pixels")
            p1 = s1["bare_forward_ms"]["median"] if s1 else None
            report["burst"] = bursts(st, bare, args.bursts, p1)
        if "ui" not in skip:
            report["ui_blocking"] = ui_blocking(st)
        report["setup"]["torch_threads_engine_worker"] = sorted(st.worker_threads)
        if "threads" not in skip and st.default_worker_threads > 1:
            report["what_if_engine_threads"] = engine_threads_ab(
                st, bare, bare1, max(40, args.moves // 2)
            )
    finally:
        st.close()
        bare1.close()
    if "startup" not in skip:
        report["startup"] = startup(args.startup_runs, "threads" not in skip)
    report["load"] = started.stop()

    met: dict[str, bool] = {}
    s = report.get("slider_to_pixels")
    if s:
        met["slider_ratio_to_bare"] = s["ratio_median_to_bare"] <= TARGETS["slider_ratio_to_bare"]
        met["slider_median_ms"] = s["latency_ms"]["median"] <= TARGETS["slider_median_ms"]
    if "burst" in report:
        met["burst_final_in_forwards"] = (
            report["burst"]["final_in_forwards_median"] <= TARGETS["burst_final_in_forwards"]
        )
    if "startup" in report:
        met["startup_s"] = report["startup"]["median_s"] <= TARGETS["startup_s"]
    if "ui_blocking" in report:
        met["ui_longest_gap_ms"] = (
            report["ui_blocking"]["longest_gap_ms"] <= TARGETS["ui_longest_gap_ms"]
        )
    report["targets"] = TARGETS
    report["targets_met"] = met
    report["headline"] = headline(report)
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
