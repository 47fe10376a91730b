"""Does the window give training's memory back? RSS before, during and after two runs.

Opens the real studio window (offscreen, a throwaway user folder), checks a folder of
images in the Train panel, then trains a new GAN twice from the panel as a person
would: once cancelled after its first steps, once to the end. Prints JSON: the
process's resident memory (RSS, MB) idle before training, at the peak of each run, and
idle after each, and the growth from before to after (the issue's target: under 100 MB).
``--no-release`` skips the engine's memory release, to show what it gives back.

    python bench/memory.py [--data DIR] [--steps 4] [--channel-base 1024] [--batch 8]
                           [--no-release]

Without ``--data`` the folder is 100 coloured shapes made here.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("LATENT_STUDIO_HOME", tempfile.mkdtemp(prefix="studio-memory-"))


def rss_mb() -> float:
    """This process's resident set size in MB (Linux)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def make_data(folder: Path) -> Path:
    """100 coloured-shape training images, 64 × 64."""
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(100):
        img = np.full((64, 64, 3), 255, np.uint8)
        y, x = rng.integers(0, 32, 2)
        img[y : y + 24, x : x + 24] = rng.integers(0, 256, 3)
        Image.fromarray(img).save(folder / f"shape-{i:03d}.png")
    return folder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data")
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--channel-base", type=int, default=1024)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--no-release", action="store_true")
    args = ap.parse_args()

    from PySide6.QtWidgets import QApplication

    import studio.engine.engine as engine_module
    from studio.engine import Engine
    from studio.ui import create_main_window

    if args.no_release:
        engine_module.release_memory = lambda: False  # type: ignore[assignment]
    data = Path(args.data) if args.data else make_data(Path(tempfile.mkdtemp()) / "data")
    app = QApplication.instance() or QApplication([sys.argv[0]])
    window = create_main_window(Engine("cpu"))
    window.show()
    peak = {"value": 0.0}
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.05):
            peak["value"] = max(peak["value"], rss_mb())

    threading.Thread(target=sample, daemon=True).start()

    def wait(cond, timeout: float = 1800.0) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while not cond():
            app.processEvents()
            time.sleep(0.01)
            if time.monotonic() > deadline:
                raise TimeoutError("the window did not get there in time")

    def settle(seconds: float = 2.0) -> float:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.02)
        return rss_mb()

    wait(lambda: window.controller.shown_state is not None)
    panel = window.train_panel
    window.actions_by_name["trainAction"].trigger()
    panel.data.set_folder(str(data))
    wait(lambda: panel.report is not None)
    panel.settings.select("New GAN")
    panel.model_options = {"gan": {"channel_base": args.channel_base}, "vae": {}}
    panel.config_overrides = {"preview_every": 2, "checkpoint_every": 1000, "log_every": 1}
    wait(lambda: panel._estimate_job is None and not panel._estimate_timer.isActive())
    figures: dict[str, float] = {"idle_before": settle()}
    runs = tempfile.mkdtemp(prefix="memory-runs-")
    for label in ("cancelled", "finished"):
        panel.settings.steps.setValue(1000 if label == "cancelled" else args.steps)
        panel.settings.batch.setValue(args.batch)
        panel.run.edited["folder"] = True
        panel.run.folder_edit.setText(str(Path(runs) / label))
        peak["value"] = rss_mb()
        panel.start()
        if label == "cancelled":
            wait(lambda: panel.last_report is not None and panel.last_report.step >= 2)
            panel.cancel()
        wait(lambda: not panel.training and panel._publish_job is None)
        figures[f"peak_{label}"] = peak["value"]
        figures[f"idle_after_{label}"] = settle(3.0)
    stop.set()
    before = figures["idle_before"]
    result = {
        "rss_mb": {k: round(v, 1) for k, v in figures.items()},
        "growth_after_cancelled_mb": round(figures["idle_after_cancelled"] - before, 1),
        "growth_after_finished_mb": round(figures["idle_after_finished"] - before, 1),
        "release": not args.no_release,
        "config": {
            "channel_base": args.channel_base,
            "batch": args.batch,
            "images": len(panel.report.usable) if panel.report else 0,
        },
        "load_average": round(os.getloadavg()[0], 2),
    }
    window.close()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
