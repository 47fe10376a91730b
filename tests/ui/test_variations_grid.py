"""The variations grid: 8 children in one batch, click adopts (undoable), shift-click keeps."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from pytestqt.qtbot import QtBot

from studio.ui.variations import COUNT, VariationsPanel
from studio.ui.window import MainWindow

from .helpers import FRAME_TIMEOUT_MS, gallery_of, wait_for_frame


def grid_of(qtbot: QtBot, window: MainWindow) -> tuple[VariationsPanel, np.ndarray]:
    panel = window.findChild(VariationsPanel)
    assert isinstance(panel, VariationsPanel)
    before = wait_for_frame(qtbot, window)
    action = window.findChild(QAction, "variationsAction")
    assert action.shortcuts()[0].toString() == "V"
    with qtbot.waitSignal(panel.gridReady, timeout=FRAME_TIMEOUT_MS):
        action.trigger()
    return panel, before


def test_the_grid_shows_eight_children(qtbot: QtBot, window: MainWindow) -> None:
    panel, before = grid_of(qtbot, window)
    assert window.context.dock("variationsDock").isVisible()
    assert panel.images is not None and panel.images.shape[0] == COUNT
    assert all(cell.pixmap() is not None and not cell.pixmap().isNull() for cell in panel.cells)
    assert len({img.tobytes() for img in panel.images}) == COUNT  # all different
    assert not any(np.array_equal(img, before) for img in panel.images)


def test_clicking_one_adopts_it_and_undo_restores(qtbot: QtBot, window: MainWindow) -> None:
    panel, before = grid_of(qtbot, window)
    assert panel.images is not None
    stack = window.controller.undo_stack
    steps = stack.count()
    qtbot.mouseClick(panel.cells[3], Qt.MouseButton.LeftButton)
    assert stack.count() == steps + 1
    assert np.array_equal(window.current_frame(), panel.images[3])
    kept = window.keep_image()  # Ctrl+K keeps the adopted child with its own recipe
    assert kept is not None and kept.recipe is not None
    assert kept.recipe["kind"] == "variation" and kept.recipe["index"] == 3
    stack.undo()
    qtbot.waitUntil(
        lambda: np.array_equal(window.current_frame(), before), timeout=FRAME_TIMEOUT_MS
    )


def test_shift_click_keeps_it_with_its_recipe(qtbot: QtBot, window: MainWindow) -> None:
    panel, before = grid_of(qtbot, window)
    gallery = gallery_of(window)
    steps = window.controller.undo_stack.count()
    with qtbot.waitSignal(gallery.kept) as kept:
        qtbot.mouseClick(
            panel.cells[5], Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier
        )
    recipe = kept.args[0].recipe
    assert recipe["kind"] == "variation" and recipe["index"] == 5
    assert window.controller.undo_stack.count() == steps  # nothing adopted
    assert np.array_equal(window.current_frame(), before)
