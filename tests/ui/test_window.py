"""The studio window: it paints, sliders and seeds change it, undo restores it exactly."""

from __future__ import annotations

import re

import numpy as np
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDockWidget, QGraphicsView, QLabel, QPushButton, QSlider, QSpinBox
from pytestqt.qtbot import QtBot

from studio.app.images import qimage_to_array
from studio.app.settings import settings_path
from studio.ui.window import MainWindow

from .helpers import wait_for_frame


def child(window: MainWindow, kind: type, name: str):
    widget = window.findChild(kind, name)
    assert widget is not None, f"no {kind.__name__} named {name}"
    return widget


def test_window_opens_and_paints_the_model(qtbot: QtBot, window: MainWindow) -> None:
    frame = window.current_frame()
    assert frame is not None and frame.shape == (32, 32, 3) and frame.dtype == np.uint8
    assert frame.std() > 1.0  # an image, not a flat fill
    # What is on screen, not just in memory: the canvas shows the frame's colours.
    view = child(window, QGraphicsView, "canvasView")
    shot = qimage_to_array(view.grab().toImage())
    centre = shot[
        shot.shape[0] // 2 - 20 : shot.shape[0] // 2 + 20,
        shot.shape[1] // 2 - 20 : shot.shape[1] // 2 + 20,
    ]
    assert len(np.unique(centre.reshape(-1, 3), axis=0)) > 1
    assert child(window, QLabel, "statusDevice").text() == "CPU"
    frame_ms = child(window, QLabel, "statusFrameMs")
    qtbot.waitUntil(lambda: re.fullmatch(r"\d+ ms", frame_ms.text()) is not None)
    assert "tiny-gan" in window.windowTitle()
    for name in ("galleryDock", "styleDock", "colorizationDock"):  # places for later panels
        dock = child(window, QDockWidget, name)
        assert dock.isHidden() and dock.toggleViewAction() is not None
    assert child(window, QDockWidget, "controlsDock").isVisible()


def test_slider_changes_pixels_and_undo_redo_are_exact(qtbot: QtBot, window: MainWindow) -> None:
    before = wait_for_frame(qtbot, window)
    slider = child(window, QSlider, "latentSlider0")
    label = child(window, QLabel, "latentValue0")
    slider.setValue(200)  # +2.00
    after = wait_for_frame(qtbot, window)
    assert window.state.edits[0] == 2.0 and label.text() == "+2.00"
    assert not np.array_equal(before, after)

    window.actions_by_name["undoAction"].trigger()
    assert slider.value() == 0 and label.text() == "+0.00"
    assert np.array_equal(wait_for_frame(qtbot, window), before)
    window.actions_by_name["redoAction"].trigger()
    assert slider.value() == 200
    assert np.array_equal(wait_for_frame(qtbot, window), after)


def test_undo_shortcuts(window: MainWindow) -> None:
    undo = window.actions_by_name["undoAction"].shortcuts()
    redo = window.actions_by_name["redoAction"].shortcuts()
    assert QKeySequence("Ctrl+Z") in undo
    assert QKeySequence("Ctrl+Shift+Z") in redo and QKeySequence("Ctrl+Y") in redo


def test_a_drag_is_one_undo_step_and_ends_on_the_exact_value(
    qtbot: QtBot, window: MainWindow
) -> None:
    stack = window.controller.undo_stack
    start_count = stack.count()
    slider = child(window, QSlider, "latentSlider1")
    slider.setSliderDown(True)  # as a mouse drag does
    for value in range(10, 160, 10):
        slider.setValue(value)
    slider.setSliderDown(False)
    dragged = wait_for_frame(qtbot, window)
    assert stack.count() == start_count + 1
    assert window.state.edits[1] == 1.5
    assert window.controller.shown_state == window.state
    # The frame after the drag is the one a plain render of that value gives.
    window.actions_by_name["undoAction"].trigger()
    wait_for_frame(qtbot, window)
    window.actions_by_name["redoAction"].trigger()
    assert np.array_equal(wait_for_frame(qtbot, window), dragged)


def test_double_click_and_reset_all(qtbot: QtBot, window: MainWindow) -> None:
    original = wait_for_frame(qtbot, window)
    slider = child(window, QSlider, "latentSlider2")
    slider.setValue(-150)
    child(window, QSlider, "latentSlider3").setValue(100)
    wait_for_frame(qtbot, window)
    qtbot.mouseDClick(slider, Qt.MouseButton.LeftButton, pos=slider.rect().center())
    assert slider.value() == 0 and window.state.edits[2] == 0.0
    wait_for_frame(qtbot, window)
    qtbot.mouseClick(child(window, QPushButton, "resetLatentButton"), Qt.MouseButton.LeftButton)
    assert window.state.edits == (0.0,) * 12
    assert np.array_equal(wait_for_frame(qtbot, window), original)


def test_seed_and_truncation_are_deterministic(qtbot: QtBot, window: MainWindow) -> None:
    seed = child(window, QSpinBox, "seedSpin")
    assert (seed.minimum(), seed.maximum()) == (0, 2**31 - 1)
    seed.setValue(7)
    seven = wait_for_frame(qtbot, window)
    seed.setValue(8)
    eight = wait_for_frame(qtbot, window)
    assert not np.array_equal(seven, eight)
    seed.setValue(7)
    assert np.array_equal(wait_for_frame(qtbot, window), seven)

    truncation = child(window, QSlider, "truncationSlider")
    assert truncation.value() == 100 and child(window, QLabel, "truncationValue").text() == "1.00"
    truncation.setValue(40)
    assert window.state.truncation == 0.4
    assert child(window, QLabel, "truncationValue").text() == "0.40"
    assert not np.array_equal(wait_for_frame(qtbot, window), seven)
    truncation.setValue(100)
    assert np.array_equal(wait_for_frame(qtbot, window), seven)

    undo_steps = window.controller.undo_stack.count()
    child(window, QPushButton, "randomButton").click()
    assert seed.value() == window.state.seed
    assert window.controller.undo_stack.count() == undo_steps + 1
    wait_for_frame(qtbot, window)


def test_layer_range_limits_the_edit(qtbot: QtBot, window: MainWindow) -> None:
    start = child(window, QSpinBox, "layerStartSpin")
    end = child(window, QSpinBox, "layerEndSpin")
    qtbot.waitUntil(lambda: end.value() == 8)  # tiny-gan has 8 synthesis layers
    assert start.isVisible() and end.maximum() == 8
    child(window, QSlider, "latentSlider0").setValue(300)
    all_layers = wait_for_frame(qtbot, window)
    end.setValue(2)
    assert window.state.layers == (0, 2)
    coarse = wait_for_frame(qtbot, window)
    assert not np.array_equal(all_layers, coarse)
    start.setValue(5)  # past the end: the end follows, the range stays non-empty
    assert window.state.layers == (4, 5) and end.value() == 5
    wait_for_frame(qtbot, window)
    window.actions_by_name["undoAction"].trigger()
    window.actions_by_name["undoAction"].trigger()
    assert window.state.layers is None and (start.value(), end.value()) == (1, 8)
    assert np.array_equal(wait_for_frame(qtbot, window), all_layers)


def test_canvas_zoom_and_sampling(qtbot: QtBot, window: MainWindow) -> None:
    canvas = window.canvas
    assert canvas.fit_mode and canvas.zoom >= 1.0
    window.actions_by_name["actualSizeAction"].trigger()
    assert canvas.zoom == 1.0 and not canvas.fit_mode
    assert canvas.pixmap_item.transformationMode() == Qt.TransformationMode.FastTransformation
    window.actions_by_name["zoomOutAction"].trigger()
    assert canvas.zoom < 1.0
    assert canvas.pixmap_item.transformationMode() == Qt.TransformationMode.SmoothTransformation
    window.actions_by_name["zoomInAction"].trigger()
    window.actions_by_name["zoomInAction"].trigger()
    assert canvas.zoom > 1.0
    window.actions_by_name["fitAction"].trigger()
    assert canvas.fit_mode and canvas.zoom >= 8  # 32 px fills most of the view
    shortcuts = {
        name: window.actions_by_name[name].shortcut().toString()
        for name in ("zoomInAction", "zoomOutAction", "fitAction", "actualSizeAction")
    }
    assert shortcuts == {
        "zoomInAction": "Ctrl+=",
        "zoomOutAction": "Ctrl+-",
        "fitAction": "Ctrl+0",
        "actualSizeAction": "Ctrl+1",
    }


def test_theme_toggle_is_remembered(qtbot: QtBot, window: MainWindow) -> None:
    toggle = window.actions_by_name["themeToggle"]
    assert toggle.objectName() == "themeToggle" and toggle.isChecked()
    dark_sheet = window.styleSheet()
    toggle.trigger()
    assert not window.dark_theme and window.styleSheet() != dark_sheet
    window.settings.sync()
    stored = QSettings(str(settings_path()), QSettings.Format.IniFormat)
    assert str(stored.value("ui/dark")).lower() == "false"


def test_ctrl_z_undoes_the_studio_even_from_a_spin_box(qtbot: QtBot, window: MainWindow) -> None:
    seed = child(window, QSpinBox, "seedSpin")
    seed.setValue(5)
    wait_for_frame(qtbot, window)
    window.activateWindow()
    seed.setFocus()
    qtbot.waitUntil(lambda: seed.hasFocus())
    qtbot.keyClick(seed, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.state.seed == 0 and seed.value() == 0
    qtbot.keyClick(seed, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert window.state.seed == 5 and seed.value() == 5


def test_checkerboard_shows_through_transparency(qtbot: QtBot, window: MainWindow) -> None:
    canvas = window.canvas
    clear = np.zeros((32, 32, 4), np.uint8)  # fully transparent
    canvas.set_image(clear)
    canvas.fit()
    shot = qimage_to_array(canvas.viewport().grab().toImage())
    h, w = shot.shape[:2]
    middle = shot[h // 2 - 30 : h // 2 + 30, w // 2 - 30 : w // 2 + 30].reshape(-1, 3)
    greys = {tuple(int(v) for v in px) for px in np.unique(middle, axis=0)}
    assert {(0x9A, 0x9A, 0x9A), (0x6E, 0x6E, 0x6E)} <= greys
