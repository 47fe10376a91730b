"""``run_app``: the studio as a desktop application."""

from __future__ import annotations

import logging
import sys

from PySide6.QtWidgets import QApplication

from studio.ui import create_main_window


def run_app(argv: list[str] | None = None) -> int:
    """Open the window and run the event loop until it closes; returns the exit code."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("qdarkstyle").setLevel(logging.WARNING)
    existing = QApplication.instance()
    app = (
        existing
        if isinstance(existing, QApplication)
        else QApplication(sys.argv if argv is None else argv)
    )
    app.setApplicationName("Latent Studio")
    app.setOrganizationName("LatentStudio")
    window = create_main_window()
    window.show()
    return int(app.exec())
