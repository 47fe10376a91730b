"""Is the UI thread ever blocked? A 1 ms heartbeat during a burst of slider moves and
during model switches, with each long gap split into where the UI thread's time went."""

from __future__ import annotations

import random
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import CpuWatch, now, r  # noqa: E402  (bench/ is not a package)
from studio_driver import MODEL, OTHER_MODEL, Studio, run_burst  # noqa: E402


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


def ui_blocking(st: Studio, limit: float) -> dict[str, Any]:
    """Heartbeat gaps over ``limit`` ms during a burst and during two model switches."""
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
