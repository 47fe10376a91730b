"""Benchmark slider previews while the studio trains: latency during training vs idle.

Opens the real window (offscreen Qt, a fresh ``LATENT_STUDIO_HOME``, the shipped
``emoji-gan``), starts a fine-tune of ``emoji-gan`` on a folder of 100 images on the
engine's ``train`` lane (as the Train panel does), then times ``latentSlider0`` moves →
new frame painted, one move at a time (the same measurement as ``bench/latency.py``).
Blocks of moves alternate between training paused (idle: the train thread waits between
steps and takes no CPU) and training running, so both see the same machine and the same
window; the first block of each kind is a warm-up and is not counted.

Target (issue #4): the median latency during training is at most 3× the idle median.

    python bench/train_preview.py [--data DIR] [--blocks 4] [--moves 40] [--out FILE]

Without ``--data`` the 100 images are the face emoji ``bench/finetune.py`` uses (from
the Noto Color Emoji font, ``fonts-noto-color-emoji``), in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from finetune import face_folder  # noqa: E402  (bench/ is not a package)
from measure import CpuWatch, git_state, now, r, summary_ms  # noqa: E402
from studio_driver import MODEL, Bare, Studio, bench_checkpoints, slider_moves  # noqa: E402

TARGET_RATIO = 3.0


class StepWatch:
    """The last training step the engine reported (listens on the engine's threads)."""

    def __init__(self, st: Studio) -> None:
        self.step = 0
        self.failed = ""
        st.bridge.engine.subscribe(self._event)

    def _event(self, event: Any) -> None:
        if event.lane != "train":
            return
        if event.kind == "progress" and event.payload is not None:
            self.step = event.payload.step
        elif event.kind == "failed":
            self.failed = event.error or "training failed"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, help="a folder of images to fine-tune on")
    ap.add_argument("--blocks", type=int, default=4, help="blocks of each kind (one warm-up)")
    ap.add_argument("--moves", type=int, default=40, help="moves per block")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()

    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    home = Path(tempfile.mkdtemp(prefix="studio-bench-"))
    os.environ["LATENT_STUDIO_HOME"] = str(home)
    os.environ["LATENT_STUDIO_CHECKPOINTS"] = str(bench_checkpoints(home))
    data = args.data or face_folder(home / "data")

    import torch

    from studio.engine.requests import TrainRun
    from studio.training.scan import IMAGE_SUFFIXES

    bare = Bare()
    st = Studio()
    st.wait_until(lambda: st.ready(MODEL))
    config = {
        "kind": "gan",
        "data": str(data),
        "init_from": MODEL,
        "steps": 1_000_000,
        "batch": args.batch,
        "checkpoint_every": 1_000_000,
        "preview_every": 100,
    }
    steps = StepWatch(st)
    watch = CpuWatch()
    job = st.bridge.submit(TrainRun(str(home / "run"), False, config), "train")
    # Wait for real steps: past reading the folder and building the models.
    st.wait_until(lambda: steps.step >= 3 or bool(steps.failed))
    if steps.failed:
        raise SystemExit(f"Training did not start: {steps.failed}")
    rng = random.Random(0)
    lat: dict[str, list[float]] = {"idle": [], "training": []}
    model_ms: dict[str, list[float]] = {"idle": [], "training": []}
    steps_during: list[float] = []
    for b in range(args.blocks):
        for kind in ("idle", "training"):
            if kind == "idle":
                st.bridge.pause_training()
                st.idle(300)  # the step in flight finishes; then the train thread waits
            else:
                st.bridge.resume_training()
                n0 = steps.step
                st.wait_until(lambda n0=n0: steps.step > n0)
            s0, t0 = steps.step, now()
            rec = slider_moves(st, rng, args.moves, bare, None, warm=3)
            if kind == "training":
                steps_during.append((steps.step - s0) / (now() - t0))
            if b > 0:  # the first block of each kind warms up
                lat[kind] += rec["latency"]
                model_ms[kind] += rec["model"]
    st.bridge.cancel(job)
    load = watch.stop()
    st.close()

    idle_med = statistics.median(lat["idle"])
    train_med = statistics.median(lat["training"])
    report: dict[str, Any] = {
        "bench": "train_preview",
        "model": MODEL,
        "setup": {
            "cores": os.cpu_count(),
            "torch": torch.__version__,
            "data_images": sum(1 for p in Path(data).rglob("*") if p.suffix in IMAGE_SUFFIXES),
            "batch": args.batch,
            "blocks": args.blocks,
            "moves_per_block": args.moves,
            "git": git_state(),
        },
        "idle_ms": summary_ms(lat["idle"]),
        "training_ms": summary_ms(lat["training"]),
        "model_forward_median_ms": {
            k: r(statistics.median(v) * 1000) for k, v in model_ms.items() if v
        },
        "train_steps_per_s_during_moves": [r(x, 3) for x in steps_during],
        "ratio_median": r(train_med / idle_med),
        "target_ratio": TARGET_RATIO,
        "target_met": train_med / idle_med <= TARGET_RATIO,
        "load": load,
    }
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
