"""Soak the studio: the real window (offscreen) driven by thousands of random user actions.

From a fixed seed, each action is one thing a person does: drag a direction slider, step
it with a key, double-click it back to 0, change seed, truncation, layers, class or
model, keep the image, undo, redo, open, favourite or delete a gallery image, export
the canvas or the selection, start, pause, resume or cancel a tiny training run, toggle
the theme, zoom. After each action the window is given time (bounded) to show its
effect: the canvas showing the current state of the loaded model. Then it checks:

- no Python exception escaped into Qt (``sys.excepthook``) and nothing was logged as an
  error; a hard crash ends the process (``faulthandler`` prints where);
- no notice banner appeared (every action here is a valid one, so any banner is one the
  user did not cause);
- every undo and redo lands on a state seen before, and on exactly the state that was
  current when the undo history last stood at that index (the state: the session state
  and which kept images are deleted);
- the resident memory (``/proc/self/statm``) at action 1,000 and at the end, measured
  with no training running and the canvas settled; the growth between them.

Prints the figures as JSON (``--json``) or as a short summary; progress goes to stderr.
The window runs on a throwaway ``LATENT_STUDIO_HOME`` with copies of the shipped models
and a small generated folder to train on.

    python bench/soak.py [--actions 10000] [--seed 0] [--json] [--out FILE]
                         [--skip train,model] [--trace]
"""

from __future__ import annotations

import argparse
import faulthandler
import hashlib
import json
import logging
import os
import random
import shutil
import statistics
import sys
import tempfile
import traceback
import tracemalloc
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

# bench/ is not a package: its modules import each other by name.
from measure import REPO, CpuWatch, git_state, now, r  # noqa: E402
from soak_actions import WEIGHTS, UserActions  # noqa: E402

SHIPPED = ("emoji-gan", "emoji-vae", "emoji-faces-gan", "emoji-classes-gan")
# Tiny models for the training runs (as the window tests use): a run is seconds.
TINY_TRAIN = {
    "gan": {"z_dim": 8, "w_dim": 16, "mapping_layers": 2, "channel_base": 128, "channel_max": 16},
    "vae": {"latent_dim": 8, "base_channels": 4, "max_channels": 16},
}
TRAIN_OVERRIDES = {"preview_every": 5, "checkpoint_every": 25, "log_every": 1}
SETTLE_S = 120.0
RSS_FROM = 1000
PROGRESS_EVERY = 250


def rss_mb() -> float:
    """Resident memory of this process, from ``/proc/self/statm``."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def make_training_folder(folder: Path, count: int = 24, size: int = 40, seed: int = 0) -> Path:
    """A folder of simple coloured-rectangle PNGs to train on."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        img = np.full((size, size, 3), 255, np.uint8)
        y0, x0 = rng.integers(0, size // 2, 2)
        h, w = rng.integers(size // 4, size // 2, 2)
        img[y0 : y0 + h, x0 : x0 + w] = rng.integers(0, 256, 3)
        Image.fromarray(img).save(folder / f"shape-{i:03d}.png")
    return folder


def replace_files(_parent: Any, _folder: Path, _names: Any) -> str:
    """The answer to "Files already exist": Replace."""
    return "overwrite"


class ErrorLog(logging.Handler):
    """Keeps the studio's log records at ERROR and above."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record.getMessage().splitlines()[0][:300])


class Soak(UserActions):
    """Drives one open, shown ``MainWindow`` (its first frame on the canvas)."""

    def __init__(
        self,
        window: Any,
        seed: int,
        train_folder: Path,
        export_folder: Path,
        train_options: dict[str, dict[str, Any]] | None = None,
        settle_s: float = SETTLE_S,
    ) -> None:
        from studio.ui import export_dialog

        self.w = window
        self.c = window.controller
        self.stack = self.c.undo_stack
        self.gallery = window.gallery
        self.panel = window.train_panel
        self.rng = random.Random(seed)
        random.seed(seed)  # the window's Random button draws from the module's generator
        self.train_folder = train_folder
        self.export_folder = export_folder
        self.settle_s = settle_s
        self.counts: Counter[str] = Counter()
        self.times: dict[str, list[float]] = {}
        self.qt_messages: Counter[str] = Counter()
        self.train: Counter[str] = Counter()
        self.banners: list[str] = []
        self.exceptions: list[str] = []
        self.stalls: list[str] = []
        self.undo = dict.fromkeys(
            ("undos", "redos", "seen_before", "not_seen", "exact", "not_exact"), 0
        )
        self.undo_problems: list[str] = []
        self.seen: set[bytes] = set()
        self.at_index: dict[int, bytes] = {}
        self.kept: set[int] = set()
        self.directions_for = ""
        self.pending_export = False
        self.action_index = 0
        self.current = ""
        self.runs = 0
        self.rss: dict[int, float] = {}
        self.rss_series: list[float] = []  # every PROGRESS_EVERY actions, as it was
        self.trace = tracemalloc.is_tracing()  # --trace: where Python memory grew
        self.snapshots: list[tracemalloc.Snapshot] = []

        self.errors = ErrorLog()
        logging.getLogger("studio").addHandler(self.errors)
        self._old_hook = sys.excepthook
        sys.excepthook = self._exception
        # Every banner, even one a later frame hides before we look.
        show_error = window.notice.show_error

        def banner(message: str, details: str = "") -> None:
            self.problem(self.banners, f"banner: {message[:300]}")
            show_error(message, details)

        window.notice.show_error = banner
        from PySide6.QtCore import qInstallMessageHandler

        self._old_qt_handler = qInstallMessageHandler(self._qt_message)
        # A person answers the questions the window asks: replace files that exist, and
        # resume or start anew when a run folder is in use.
        self._old_conflict = export_dialog.ask_conflict
        export_dialog.ask_conflict = replace_files  # type: ignore[assignment]
        self.panel.ask_existing_run = lambda _run, can_new: (
            self.rng.choice(["resume", "new"]) if can_new else "resume"
        )
        self.panel.model_options = {k: dict(v) for k, v in (train_options or TINY_TRAIN).items()}
        self.panel.config_overrides = dict(TRAIN_OVERRIDES)
        self.c.directionsReady.connect(self._directions)
        self.gallery.kept.connect(lambda item: self.kept.add(item.id))
        self.gallery.exports.exported.connect(self._export_done)
        self.panel.published.connect(lambda _name: self.train.update(published=1))
        self.c.bridge.jobEvent.connect(self._train_event)
        self.directions_for = self.c.state.model  # the first frame came after them
        self.weights = dict(WEIGHTS)  # leave one out to see what it costs
        self.actions: dict[str, Callable[[], bool]] = {
            name: getattr(self, f"do_{name}") for name in WEIGHTS
        }

    # ------------------------------------------------------------------ hooks

    def _exception(self, kind: type, value: BaseException, tb: Any) -> None:
        text = "".join(traceback.format_exception(kind, value, tb))
        self.problem(self.exceptions, text[-1500:])

    def problem(self, into: list[str], text: str) -> None:
        """Note a problem with the action it came in, and say it at once on stderr."""
        line = f"#{self.action_index} {self.current}: {text}"
        into.append(line)
        print(f"soak: {line}", file=sys.stderr, flush=True)

    def _qt_message(self, _kind: Any, _context: Any, message: str) -> None:
        # Counted, not printed: the offscreen platform warns on every dock layout.
        self.qt_messages[message[:120]] += 1

    def _train_event(self, event: Any) -> None:
        if event.lane == "train" and event.kind in ("result", "cancelled", "failed"):
            self.train[{"result": "finished"}.get(event.kind, event.kind)] += 1

    def _directions(self, info: Any) -> None:
        self.directions_for = info.model

    def _export_done(self, _paths: list[Path]) -> None:
        self.pending_export = False

    def close(self) -> None:
        """Put back what the soak replaced."""
        from PySide6.QtCore import qInstallMessageHandler

        from studio.ui import export_dialog

        sys.excepthook = self._old_hook
        qInstallMessageHandler(self._old_qt_handler)
        export_dialog.ask_conflict = self._old_conflict
        logging.getLogger("studio").removeHandler(self.errors)

    # ------------------------------------------------------------------ waiting

    def idle(self, ms: int) -> None:
        """Let the event loop run for ``ms``."""
        from PySide6.QtCore import QEventLoop, QTimer

        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def wait(self, pred: Callable[[], bool], timeout: float) -> bool:
        """Run the event loop until ``pred()`` or ``timeout`` seconds; whether it held."""
        from PySide6.QtCore import QEventLoop, QTimer

        if pred():
            return True
        loop = QEventLoop()
        deadline = now() + timeout
        poll = QTimer(interval=5)
        poll.timeout.connect(lambda: loop.quit() if pred() or now() > deadline else None)
        poll.start()
        loop.exec()
        poll.stop()
        return pred()

    def settled(self) -> bool:
        """The current state's model loaded, its directions in, the state on the canvas."""
        c = self.c
        info = c.model_info
        return (
            info is not None
            and info.name == c.state.model
            and self.directions_for == c.state.model
            and c.shown_state == c.state
            and self.w.current_frame() is not None
            and not self.pending_export
        )

    def settle(self) -> None:
        if not self.wait(self.settled, self.settle_s):
            c = self.c
            self.problem(
                self.stalls,
                f"showing {c.shown_state}, want {c.state}, "
                f"loaded {getattr(c.model_info, 'name', None)}, directions {self.directions_for}",
            )
            self.pending_export = False

    # ------------------------------------------------------------------ state

    def key(self) -> bytes:
        """What undo must bring back: the session state and which kept images are gone.

        A 16-byte digest, so that remembering 10,000 of them costs the process (whose
        memory is measured) next to nothing."""
        gallery = self.gallery.gallery
        live = set(gallery.ids()) if gallery is not None else set()
        text = repr((self.c.state, sorted(self.kept - live)))
        return hashlib.blake2b(text.encode(), digest_size=16).digest()

    def check_undo(self, kind: str) -> None:
        key = self.key()
        self.undo[kind + "s"] += 1
        if key in self.seen:
            self.undo["seen_before"] += 1
        else:
            self.undo["not_seen"] += 1
            self.problem(self.undo_problems, f"{kind} to {self.c.state}, never seen")
        if self.at_index.get(self.stack.index()) == key:
            self.undo["exact"] += 1
        elif self.stack.undoLimit() == 0:
            self.undo["not_exact"] += 1
            self.problem(
                self.undo_problems,
                f"{kind} to index {self.stack.index()}: {self.c.state}, not the state there",
            )

    # ------------------------------------------------------------------ running

    def run(self, actions: int, rss_from: int = RSS_FROM, log: Callable[[str], None] | None = None):
        """Do ``actions`` random actions; returns the figures."""
        watch = CpuWatch()
        names = list(self.weights)
        weights = [self.weights[n] for n in names]
        self.settle()
        self.record()
        t0 = now()
        for i in range(1, actions + 1):
            self.action_index = i
            name = self.rng.choices(names, weights)[0]
            self.current = name
            started = now()
            try:
                done = self.actions[name]()
            except Exception:  # a bug in the soak or the window: count it, go on
                self._exception(*sys.exc_info())  # type: ignore[arg-type]
                done = False
            self.counts[name if done else f"{name} (nothing to do)"] += 1
            self.settle()
            self.times.setdefault(name, []).append(now() - started)
            if self.w.notice.isVisible():  # a banner the hook did not see
                text = self.w.notice.text.text()
                if not any(text[:300] in b for b in self.banners):
                    self.problem(self.banners, f"banner: {text[:300]}")
            self.w.notice.hide()
            if name in ("undo", "redo") and done:
                self.check_undo(name)
            self.record()
            if i in (rss_from, actions):
                self.rss[i] = self.quiet_rss()
                if self.trace:
                    self.snapshots.append(tracemalloc.take_snapshot())
            if i % PROGRESS_EVERY == 0:
                self.rss_series.append(r(rss_mb(), 1))
            if log is not None and (i % PROGRESS_EVERY == 0 or i == actions):
                log(
                    f"{i}/{actions} actions, {i / (now() - t0):.1f}/s, rss {rss_mb():.0f} MB, "
                    f"banners {len(self.banners)}, exceptions {len(self.exceptions)}, "
                    f"stalls {len(self.stalls)}, undo not seen {self.undo['not_seen']}"
                )
        seconds = now() - t0
        return self.figures(actions, seconds, rss_from, watch.stop())

    def record(self) -> None:
        key = self.key()
        self.seen.add(key)
        self.at_index[self.stack.index()] = key

    def quiet_rss(self) -> float:
        """RSS with no training running and the canvas settled."""
        if self.panel.training:
            self.panel.cancel_button.click()
            self.wait(lambda: not self.panel.training, self.settle_s)
        self.settle()
        self.idle(200)
        return rss_mb()

    def figures(
        self, actions: int, seconds: float, rss_from: int, load: dict[str, Any]
    ) -> dict[str, Any]:
        first, last = self.rss.get(rss_from), self.rss.get(actions)
        growth = (last - first) / first * 100 if first and last else None
        return {
            "actions": actions,
            "seconds": r(seconds, 1),
            "actions_per_s": r(actions / seconds),
            "crashes": 0,  # we got here; a hard crash leaves no figures (see stderr)
            "exceptions": len(self.exceptions),
            "error_log_records": len(self.errors.records),
            "banners": len(self.banners),
            "stalls": len(self.stalls),
            "undo": dict(self.undo),
            "rss_mb": {
                f"at_{rss_from}": r(first or 0.0, 1),
                "at_end": r(last or 0.0, 1),
                "growth_pct": r(growth, 2) if growth is not None else None,
                f"every_{PROGRESS_EVERY}_actions": self.rss_series,
            },
            "training": dict(self.train),
            "gallery_items": len(self.gallery.gallery.ids()) if self.gallery.gallery else 0,
            "kept": len(self.kept),
            "undo_history": self.stack.count(),
            "by_action": dict(sorted(self.counts.items())),
            "median_ms_by_action": {
                k: r(statistics.median(v) * 1000, 1) for k, v in sorted(self.times.items())
            },
            "qt_warnings": dict(self.qt_messages.most_common(10)),
            "first_problems": {
                "exceptions": self.exceptions[:3],
                "error_log": self.errors.records[:5],
                "banners": self.banners[:10],
                "stalls": self.stalls[:5],
                "undo": self.undo_problems[:5],
            },
            "load": load,
            **({"python_growth_top": self.python_growth()} if len(self.snapshots) == 2 else {}),
        }

    def python_growth(self, top: int = 15) -> list[str]:
        """The source lines whose live Python allocations grew most between the two
        memory samples (with ``--trace``)."""
        first, last = self.snapshots
        stats = last.compare_to(first, "lineno")
        return [str(s) for s in stats[:top]]


def setup_home(home: Path) -> tuple[Path, Path]:
    """A throwaway user folder with copies of the shipped models; the training folder
    and the export folder inside it."""
    shipped = home / "shipped"
    shipped.mkdir(parents=True)
    for name in SHIPPED:  # copies: a model file rewritten meanwhile must not change ours
        file = f"{name}.safetensors"
        shutil.copyfile(REPO / "checkpoints" / file, shipped / file)
    os.environ["LATENT_STUDIO_HOME"] = str(home / "user")
    os.environ["LATENT_STUDIO_CHECKPOINTS"] = str(shipped)
    return make_training_folder(home / "train-images"), home / "exports"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--actions", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print only the JSON figures")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    parser.add_argument(
        "--skip", default="", help="actions to leave out, comma-separated (e.g. train,model)"
    )
    parser.add_argument(
        "--trace", action="store_true", help="report where Python memory grew (slower)"
    )
    args = parser.parse_args()
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    faulthandler.enable()
    unknown = {a for a in args.skip.split(",") if a} - set(WEIGHTS)
    if unknown:
        sys.exit(f"soak: no such action: {', '.join(sorted(unknown))}.")
    if args.trace:
        tracemalloc.start(1)
    home = Path(tempfile.mkdtemp(prefix="studio-soak-"))
    train_folder, export_folder = setup_home(home)

    from PySide6.QtWidgets import QApplication

    from studio.engine import Engine
    from studio.ui import create_main_window

    app = QApplication.instance() or QApplication([sys.argv[0]])
    window = create_main_window(Engine())
    window.resize(1280, 820)
    window.show()
    t0 = now()
    soak = Soak(window, args.seed, train_folder, export_folder)
    for name in args.skip.split(","):
        soak.weights.pop(name, None)
    if not soak.wait(lambda: window.current_frame() is not None and soak.settled(), SETTLE_S):
        sys.exit("soak: the window showed no first frame.")
    rss_from = min(RSS_FROM, max(1, args.actions // 10))

    def log(text: str) -> None:
        print(f"soak: {text}", file=sys.stderr, flush=True)

    figures = soak.run(args.actions, rss_from, log)
    figures = {
        "seed": args.seed,
        "first_frame_s": r(now() - t0 - figures["seconds"], 1),
        **figures,
        "models": list(SHIPPED),
        "home": str(home),
        "git": git_state(),
    }
    soak.close()
    window.close()
    app.processEvents()
    text = json.dumps(figures, indent=2)
    if args.out is not None:
        args.out.write_text(text + "\n")
    if args.json:
        print(text)
    else:
        u, m = figures["undo"], figures["rss_mb"]
        print(
            f"{figures['actions']} actions in {figures['seconds']} s "
            f"({figures['actions_per_s']}/s): {figures['exceptions']} exceptions, "
            f"{figures['banners']} banners, {figures['stalls']} stalls; "
            f"{u['undos']} undos and {u['redos']} redos, {u['not_seen']} on a state never seen; "
            f"RSS {m[f'at_{rss_from}']} → {m['at_end']} MB ({m['growth_pct']} %)"
        )


if __name__ == "__main__":
    main()
