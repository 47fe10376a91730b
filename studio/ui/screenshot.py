"""Render the studio window offscreen to a PNG, to look at it (and for the docs).

``python -m studio.ui.screenshot OUT.png [--model NAME] [--seed N] [--edit I=V ...]``
runs with a throwaway user data folder unless ``LATENT_STUDIO_HOME`` is set, so it
neither reads nor changes your saved window.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from studio.app.session import SessionState


def wait_for_state(window: Any, state: SessionState, timeout_ms: int = 60_000) -> bool:
    """Run the event loop until ``window`` (the studio window: anything with its
    ``controller``) shows ``state`` (False on timeout)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    controller = window.controller

    def check() -> None:
        if controller.shown_state == state and controller.model_info is not None:
            loop.quit()

    poll = QTimer(interval=20)
    poll.timeout.connect(check)
    poll.start()
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()
    poll.stop()
    return controller.shown_state == state


def save_screenshot(
    out: Path,
    model: str | None = None,
    seed: int | None = None,
    edits: dict[int, float] | None = None,
    size: tuple[int, int] = (1280, 820),
) -> bool:
    """Open the window, show the given state, grab it to ``out``; False if it timed out."""
    from PySide6.QtWidgets import QApplication

    from studio.ui import create_main_window

    app = QApplication.instance() or QApplication([sys.argv[0]])
    window = create_main_window()
    window.resize(*size)
    window.show()
    state = window.controller.state
    state = replace(state, model=model or state.model, seed=state.seed if seed is None else seed)
    for index, value in (edits or {}).items():
        state = state.with_edit(index, value)
    window.controller.commit(state, "Screenshot")
    shown = wait_for_state(window, state)
    wait_for_state(window, state, 300)  # let the directions and the status bar settle
    out.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(out))
    window.close()
    del app
    return shown


def main(argv: list[str] | None = None) -> int:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--model")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--edit", action="append", default=[], metavar="INDEX=VALUE")
    args = parser.parse_args(argv)
    edits = {int(k): float(v) for k, v in (e.split("=", 1) for e in args.edit)}
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("LATENT_STUDIO_HOME", tempfile.mkdtemp(prefix="studio-shot-"))
    ok = save_screenshot(args.out, args.model, args.seed, edits)
    print(f"{'saved' if ok else 'timed out; saved anyway'}: {args.out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
