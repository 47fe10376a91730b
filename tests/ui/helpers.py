"""Helpers for the window tests."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QSpinBox
from pytestqt.qtbot import QtBot

from studio.engine import Engine
from studio.gallery import Item
from studio.ui import create_main_window
from studio.ui.gallery_actions import GalleryActions
from studio.ui.window import MainWindow

FRAME_TIMEOUT_MS = 15_000


def wait_for_frame(qtbot: QtBot, window: MainWindow) -> np.ndarray:
    """Wait until the canvas shows the window's current state; return its pixels."""
    c = window.controller

    def shown() -> None:
        assert c.shown_state == c.state, f"showing {c.shown_state}, want {c.state}"
        assert window.current_frame() is not None

    qtbot.waitUntil(shown, timeout=FRAME_TIMEOUT_MS)
    frame = window.current_frame()
    assert frame is not None
    return frame


def open_window(qtbot: QtBot) -> MainWindow:
    """A shown studio window on a fresh CPU engine, after its first frame."""
    window = create_main_window(Engine("cpu"))
    qtbot.addWidget(window)
    window.show()
    wait_for_frame(qtbot, window)
    return window


def gallery_of(window: MainWindow) -> GalleryActions:
    """The window's gallery actions (keep, export, morph)."""
    assert isinstance(window.gallery, GalleryActions)
    return window.gallery


def keep_two(qtbot: QtBot, window: MainWindow, seed: int) -> tuple[Item, Item]:
    """Keep the current image, move to ``seed``, keep that one too."""
    actions = gallery_of(window)
    first = actions.keep()
    window.findChild(QSpinBox, "seedSpin").setValue(seed)
    wait_for_frame(qtbot, window)
    second = actions.keep()
    assert first is not None and second is not None
    return first, second
