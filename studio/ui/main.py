"""``run_app``: the studio as a desktop application.

With ``LATENT_STUDIO_FIRST_FRAME=1`` in the environment the window opens, paints its
first picture and quits (exit 0; 1 if no frame came within a minute): CI starts the real
window this way under Xvfb, so a missing system library fails the build.
"""

from __future__ import annotations

import logging
import os
import sys
import time

from studio.ui.display import display_problem

FIRST_FRAME_ENV = "LATENT_STUDIO_FIRST_FRAME"
FIRST_FRAME_TIMEOUT_MS = 60_000
EXIT_NO_DISPLAY = 1


def run_app(argv: list[str] | None = None) -> int:
    """Open the window and run the event loop until it closes; returns the exit code."""
    from PySide6.QtWidgets import QApplication

    existing = QApplication.instance()
    if not isinstance(existing, QApplication):
        # Qt aborts the process (SIGABRT) when its platform plugin cannot start: say
        # why in one line first, while we still can.
        problem = display_problem()
        if problem:
            print(f"latent-studio: {problem}", file=sys.stderr)
            return EXIT_NO_DISPLAY
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("qdarkstyle").setLevel(logging.WARNING)
    app = (
        existing
        if isinstance(existing, QApplication)
        else QApplication(sys.argv if argv is None else argv)
    )
    app.setApplicationName("Latent Studio")
    app.setOrganizationName("LatentStudio")
    from studio.ui import create_main_window

    started = time.perf_counter()
    window = create_main_window()
    window.show()
    if os.environ.get(FIRST_FRAME_ENV, "").strip() not in ("", "0"):
        return _first_frame_then_quit(app, window, started)
    return int(app.exec())


def _first_frame_then_quit(app: object, window: object, started: float) -> int:
    """Run until the first picture is painted on the canvas, then close the window."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from studio.ui.window import MainWindow

    assert isinstance(app, QApplication) and isinstance(window, MainWindow)
    shown: list[float] = []

    def painted(_frame: object) -> None:
        if shown:
            return
        window.repaint()  # paint it now, on the real platform, before leaving
        shown.append(time.perf_counter() - started)
        window.close()

    window.frameShown.connect(painted)
    QTimer.singleShot(FIRST_FRAME_TIMEOUT_MS, window.close)
    app.exec()
    platform = app.platformName()
    if not shown:
        print(f"latent-studio: no frame within a minute (platform {platform}).", file=sys.stderr)
        return 1
    print(f"First frame painted in {shown[0]:.1f} s (platform {platform}).")
    return 0
