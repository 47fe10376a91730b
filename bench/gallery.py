"""Benchmark the gallery dock: keep latency, first screen of 10,000 items, scroll stalls.

Prints JSON (no assertions). Runs offscreen in a throwaway user folder:

- ``keep_to_thumbnail_ms``: Keep pressed → the new thumbnail painted in the grid
  (median of 20, on a shipped model), beside ``store_keep_ms``, the bare
  ``Gallery.keep`` of the same image in the same run (the baseline).
- ``first_screen_ms``: a 10,000-item gallery is filtered (all items) and shown → every
  visible cell painted with its thumbnail.
- ``scroll_*``: a 1 ms heartbeat timer on the UI thread while the grid is scrolled from
  top to bottom (3 rows per 16 ms frame); its longest gap is the worst stall. The same
  heartbeat measured idle is the baseline.

    python bench/gallery.py [--model emoji-gan] [--items 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if "LATENT_STUDIO_HOME" not in os.environ:  # a throwaway user folder
    os.environ["LATENT_STUDIO_HOME"] = tempfile.mkdtemp(prefix="studio-gallery-bench-")

import numpy as np  # noqa: E402
from PySide6.QtCore import QElapsedTimer, QEvent, QEventLoop, QObject, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from studio.engine import Engine  # noqa: E402
from studio.gallery import Gallery  # noqa: E402
from studio.gallery.recipes import gallery_dir  # noqa: E402
from studio.ui import create_main_window  # noqa: E402
from studio.ui.gallery_model import LOADED_ROLE  # noqa: E402
from studio.ui.screenshot import wait_for_state  # noqa: E402
from studio.ui.window import MainWindow  # noqa: E402


class PaintClock(QObject):
    """Remembers when a widget last painted."""

    def __init__(self) -> None:
        super().__init__()
        self.last = 0.0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.last = time.perf_counter()
        return False


def run_until(done, timeout_s: float = 30.0) -> bool:
    """Run the event loop (blocking, not spinning) until ``done()`` or the timeout."""
    loop = QEventLoop()
    poll = QTimer(interval=1)
    poll.timeout.connect(lambda: done() and loop.quit())
    QTimer.singleShot(round(timeout_s * 1000), loop.quit)
    if not done():
        poll.start()
        loop.exec()
        poll.stop()
    return bool(done())


def fill_gallery(count: int) -> float:
    """``count`` small kept images, through ``Gallery.keep`` (fsync skipped: a bench)."""
    rng = np.random.default_rng(0)
    gallery = Gallery(gallery_dir())
    gallery.db.execute("PRAGMA synchronous=OFF")
    real_fsync = os.fsync
    os.fsync = lambda fd: None  # type: ignore[assignment]
    t0 = time.perf_counter()
    try:
        for i in range(count):
            tile = np.repeat(np.repeat(rng.integers(0, 256, (4, 4, 3), np.uint8), 8, 0), 8, 1)
            gallery.keep(tile, {"seed": i}, model=("emoji-gan", "emoji-vae")[i % 2])
    finally:
        os.fsync = real_fsync
        gallery.close()
    return time.perf_counter() - t0


def visible_rows(window: MainWindow) -> list[int]:
    view = window.gallery.panel.view
    model = window.gallery.model
    area = view.viewport().rect()
    rows = []
    for row in range(model.rowCount()):
        rect = view.visualRect(model.index(row))
        if rect.top() > area.bottom():
            break
        if rect.intersects(area):
            rows.append(row)
    return rows


def bench_keep(app: QApplication, window: MainWindow, repeats: int) -> dict[str, float]:
    actions = window.gallery
    clock = PaintClock()
    actions.panel.view.viewport().installEventFilter(clock)
    store = Gallery(gallery_dir())
    keep_ms, store_ms = [], []
    state = window.controller.state
    for i in range(repeats):
        state = state.__class__.from_dict({**state.to_dict(), "seed": 1000 + i})
        window.controller.commit(state, "bench")
        wait_for_state(window, state)
        frame = window.current_frame()
        t0 = time.perf_counter()
        item = actions.keep()
        assert item is not None
        run_until(lambda t0=t0: clock.last > t0)
        keep_ms.append((clock.last - t0) * 1000)
        t1 = time.perf_counter()
        store.keep(frame, item.recipe, model=item.model)
        store_ms.append((time.perf_counter() - t1) * 1000)
    store.close()
    return {
        "keep_to_thumbnail_ms_median": round(statistics.median(keep_ms), 2),
        "keep_to_thumbnail_ms_max": round(max(keep_ms), 2),
        "store_keep_ms_median": round(statistics.median(store_ms), 2),
    }


def heartbeat_gaps(app: QApplication, seconds: float, step=None) -> list[float]:
    """Gaps (ms) between 1 ms timer ticks while ``step()`` runs every 16 ms (if given)."""
    ticks: list[float] = []
    beat = QTimer(interval=1, timerType=Qt.TimerType.PreciseTimer)
    beat.timeout.connect(lambda: ticks.append(time.perf_counter()))
    mover = QTimer(interval=16, timerType=Qt.TimerType.PreciseTimer)
    finished = {"done": False}
    if step is not None:
        mover.timeout.connect(lambda: finished.update(done=not step()))
        mover.start()
    beat.start()
    clock = QElapsedTimer()
    clock.start()
    run_until(lambda: finished["done"] or clock.elapsed() > seconds * 1000, seconds + 5)
    beat.stop()
    mover.stop()
    return [(b - a) * 1000 for a, b in zip(ticks, ticks[1:], strict=False)]


def open_window(app: QApplication, watch: PaintClock | None = None) -> tuple[MainWindow, float]:
    """A shown studio window with the gallery dock open, and ms to build and show it."""
    t0 = time.perf_counter()
    window = create_main_window(Engine("cpu"))
    window.resize(1280, 820)
    window.gallery.dock.show()
    window.resizeDocks([window.gallery.dock], [360], Qt.Orientation.Vertical)
    if watch is not None:
        window.gallery.panel.view.viewport().installEventFilter(watch)
    window.show()
    app.processEvents()
    return window, (time.perf_counter() - t0) * 1000


def first_screen_done(window: MainWindow) -> bool:
    """Every cell in view has its thumbnail."""
    rows = visible_rows(window)
    model = window.gallery.model
    return bool(rows) and all(model.data(model.index(r), LOADED_ROLE) for r in rows)


def bench_grid(app: QApplication) -> dict[str, float]:
    clock = PaintClock()
    t0 = time.perf_counter()
    window, open_ms = open_window(app, clock)
    run_until(lambda: first_screen_done(window))
    loaded = time.perf_counter()
    run_until(lambda: clock.last > loaded, 2)
    first_screen = (max(clock.last, loaded) - t0) * 1000
    shown = len(visible_rows(window))
    actions = window.gallery
    t1 = time.perf_counter()
    actions.refresh()  # what a filter change costs for 10,000 rows (ids + model reset)
    refresh_ms = (time.perf_counter() - t1) * 1000
    wait_for_state(window, window.controller.state)
    run_until(lambda: not window.bridge.busy, 60)  # the engine idle: a quiet baseline

    idle = heartbeat_gaps(app, 1.0)
    view = actions.panel.view
    bar = view.verticalScrollBar()
    bar.setValue(0)
    step_px = 3 * view.gridSize().height()

    def step() -> bool:
        bar.setValue(min(bar.maximum(), bar.value() + step_px))
        return bar.value() < bar.maximum()

    t_scroll = time.perf_counter()
    gaps = heartbeat_gaps(app, 60.0, step)
    scroll_s = time.perf_counter() - t_scroll
    bottom = run_until(lambda: first_screen_done(window), 5)
    bar.setValue(0)
    big_keep = bench_keep(app, window, 10)
    result = {
        "items": actions.model.rowCount(),
        "window_open_ms": round(open_ms, 1),
        "first_screen_ms": round(first_screen, 1),
        "cells_on_first_screen": shown,
        "refresh_10k_ms": round(refresh_ms, 2),
        "scroll_seconds": round(scroll_s, 2),
        "scroll_longest_stall_ms": round(max(gaps), 2),
        "scroll_p99_gap_ms": round(float(np.percentile(gaps, 99)), 2),
        "idle_longest_gap_ms": round(max(idle), 2),
        "idle_p99_gap_ms": round(float(np.percentile(idle, 99)), 2),
        "thumbnails_cached_after_scroll": sum(actions.model.cached(i) for i in actions.model.ids),
        "bottom_screen_loaded": bottom,
        "keep_to_thumbnail_ms_median_at_10k": big_keep["keep_to_thumbnail_ms_median"],
        "store_keep_ms_median_at_10k": big_keep["store_keep_ms_median"],
    }
    window.close()
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="emoji-gan")
    ap.add_argument("--items", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=20)
    args = ap.parse_args()
    app = QApplication.instance() or QApplication([sys.argv[0]])

    window, empty_open_ms = open_window(app)
    state = window.controller.state.__class__(args.model)
    window.controller.commit(state, "bench")
    wait_for_state(window, state)
    keep = bench_keep(app, window, args.repeats)
    window.close()

    fill_s = fill_gallery(args.items)
    grid = bench_grid(app)
    print(
        json.dumps(
            {
                "model": args.model,
                **keep,
                "window_open_ms_empty_gallery": round(empty_open_ms, 1),
                "fill_seconds": round(fill_s, 1),
                **grid,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
