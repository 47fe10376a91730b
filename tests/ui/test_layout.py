"""At 1280 × 800 with the gallery and Train docks open, nothing a user needs is clipped."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QDockWidget, QPlainTextEdit, QPushButton, QSlider, QWidget
from pytestqt.qtbot import QtBot

from studio.app.session import DEFAULT_SLIDERS
from studio.ui.window import MainWindow

from .helpers import wait_for_frame

SIZE = (1280, 800)


def _in_window(widget: QWidget, window: MainWindow) -> QRect:
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


def _clipping(widget: QWidget, window: MainWindow) -> str:
    """Why ``widget`` is not wholly on screen ("" when it is)."""
    name = widget.objectName()
    if not widget.isVisible():
        return f"{name} is not shown"
    rect = _in_window(widget, window)
    if not window.rect().contains(rect):
        return f"{name} at {rect.getRect()} is outside the window {window.rect().getRect()}"
    parent = widget.parentWidget()
    while parent is not None and parent is not window:
        if not _in_window(parent, window).contains(rect):
            return f"{name} at {rect.getRect()} is cut off by {parent.objectName() or parent}"
        parent = parent.parentWidget()
    # What Qt itself would paint of it: the part no scroll viewport or dock hides.
    shown = widget.visibleRegion().boundingRect()
    if shown != widget.rect():
        return f"only {shown.getRect()} of {name} ({widget.width()}×{widget.height()}) shows"
    return ""


def test_nothing_needed_is_clipped_at_1280_by_800(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    window.resize(*SIZE)
    for name in ("galleryDock", "trainPanel"):
        window.findChild(QDockWidget, name).show()
    wait_for_frame(qtbot, window)
    qtbot.waitUntil(lambda: window.size().toTuple() == SIZE)
    qtbot.wait(50)  # let the dock layout settle

    needed: list[QWidget] = [
        window.findChild(QSlider, f"latentSlider{i}") for i in range(DEFAULT_SLIDERS)
    ]
    needed += [window.findChild(QPushButton, "resetLatentButton")]
    report = window.findChild(QPlainTextEdit, "trainDataReport")
    needed += [report, window.findChild(QPushButton, "trainStartButton")]
    assert all(w is not None for w in needed)
    window.grab().save(str(tmp_path / "layout-1280x800.png"))
    problems = [p for p in (_clipping(w, window) for w in needed) if p]
    assert not problems, "\n".join(problems)
    # The scan report shows several lines of what the check found, not a sliver.
    lines = report.fontMetrics().lineSpacing()
    assert report.viewport().height() >= 4 * lines
    assert (tmp_path / "layout-1280x800.png").stat().st_size > 0
