"""The studio's widgets: the main window, canvas, panels and theme."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from studio.engine import Engine
    from studio.ui.window import MainWindow

__all__ = ["create_main_window"]


def create_main_window(engine: Engine | None = None) -> MainWindow:
    """Build the studio window (not shown, no event loop) on ``engine``.

    Without an engine one is made for the best device here. A ``QApplication`` must
    exist first (``run_app`` and pytest-qt make one).
    """
    from PySide6.QtWidgets import QApplication

    from studio.engine import Engine
    from studio.ui.window import MainWindow

    if QApplication.instance() is None:
        raise RuntimeError("Create a QApplication before the studio window.")
    return MainWindow(engine if engine is not None else Engine())
