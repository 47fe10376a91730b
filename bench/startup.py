"""Start-up time: fresh processes that build and show the window and exit at the first
painted image, timed from the process's own start (``/proc/self/stat``)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import CpuWatch, now, r  # noqa: E402  (bench/ is not a package)

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
