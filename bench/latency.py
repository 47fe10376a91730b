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
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

# bench/ is not a package: its modules import each other by name.
from measure import CpuWatch, git_state, now, r, rss_mb, summary_ms  # noqa: E402
from startup import startup  # noqa: E402
from studio_driver import (  # noqa: E402
    MODEL,
    STAGES,
    Bare,
    BareOneThread,
    Studio,
    bench_checkpoints,
    run_burst,
    slider_moves,
)
from ui_blocking import ui_blocking  # noqa: E402

TARGETS = {
    "slider_ratio_to_bare": 1.5,
    "slider_median_ms": 16.0,
    "burst_final_in_forwards": 2.0,
    "startup_s": 3.0,
    "ui_longest_gap_ms": 16.0,
}


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
    args = ap.parse_args()
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
            report["ui_blocking"] = ui_blocking(st, TARGETS["ui_longest_gap_ms"])
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
