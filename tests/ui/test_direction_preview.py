"""Seeing what a direction does before dragging it (a hover strip), and naming it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QAction, QEnterEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFrame,
    QLabel,
    QLineEdit,
    QMenu,
    QSlider,
    QWidget,
)
from pytestqt.qtbot import QtBot

from studio.app.images import qimage_to_array
from studio.ui.window import MainWindow

from .helpers import open_window, wait_for_frame

TIMEOUT_MS = 15_000


def _enter(widget: QWidget) -> None:
    """What the pointer coming onto ``widget`` sends it."""
    local = QPointF(widget.width() / 2, widget.height() / 2)
    where = QPointF(widget.mapToGlobal(QPoint(0, 0))) + local
    QApplication.sendEvent(widget, QEnterEvent(local, where, where))


def _leave(widget: QWidget) -> None:
    QApplication.sendEvent(widget, QEvent(QEvent.Type.Leave))


def _strip(window: MainWindow) -> QFrame:
    popup = window.findChild(QFrame, "directionStrip")
    assert popup is not None
    return popup


def _ready(qtbot: QtBot, window: MainWindow) -> None:
    wait_for_frame(qtbot, window)
    qtbot.waitUntil(
        lambda: window.findChild(QSlider, "latentSlider11").isEnabled(), timeout=TIMEOUT_MS
    )


def test_hovering_a_direction_shows_it_at_minus_two_zero_and_plus_two(
    qtbot: QtBot, window: MainWindow
) -> None:
    _ready(qtbot, window)
    c, bridge = window.controller, window.bridge
    slider = window.findChild(QSlider, "latentSlider1")
    preview_jobs = bridge.newest("preview")
    renders = bridge.newest("render") or 0

    _enter(slider)
    assert not _strip(window).isVisible()  # not at once: only when the pointer rests
    qtbot.waitUntil(lambda: _strip(window).isVisible(), timeout=TIMEOUT_MS)
    assert bridge.newest("render") == renders + 1  # one job, on the render lane, 3 frames
    assert bridge.newest("preview") == preview_jobs  # the canvas was left alone
    title = window.findChild(QLabel, "directionStripTitle").text()
    assert title == "PC 2"
    key = c.strip_key(1)
    assert key is not None
    strip = c.cached_strip(key)
    assert strip is not None and strip.shape == (3, 32, 32, 3) and strip.dtype == np.uint8
    assert not np.array_equal(strip[0], strip[2])  # the direction changes the picture
    frames = [window.findChild(QLabel, f"directionStripFrame{j}") for j in range(3)]
    assert all(not f.pixmap().isNull() for f in frames)
    shown = qimage_to_array(frames[2].pixmap().toImage())
    assert shown.shape[0] >= 32 and shown.std() > 0
    # The popup sits beside the slider, on the screen, and does not cover it.
    popup = _strip(window)
    slider_rect = slider.rect().translated(slider.mapToGlobal(QPoint(0, 0)))
    assert not popup.geometry().intersects(slider_rect)

    # Each frame is what dragging the slider there shows (one batch instead of three
    # renders, so allow a rounding step).
    _leave(slider)
    assert not popup.isVisible()
    for j, value in enumerate((-200, 0, 200)):
        slider.setValue(value)
        frame = wait_for_frame(qtbot, window).astype(int)
        assert np.abs(frame - strip[j].astype(int)).max() <= 2, f"frame {j}"
    slider.setValue(0)
    wait_for_frame(qtbot, window)

    # Cached: coming back asks the engine for nothing.
    renders = bridge.newest("render")
    _enter(slider)
    qtbot.waitUntil(lambda: popup.isVisible(), timeout=TIMEOUT_MS)
    assert bridge.newest("render") == renders
    # Pressing the slider (to drag it) hides the strip.
    qtbot.mousePress(slider, Qt.MouseButton.LeftButton)
    assert not popup.isVisible()
    qtbot.mouseRelease(slider, Qt.MouseButton.LeftButton)


def test_a_strip_no_longer_wanted_is_not_shown(qtbot: QtBot, window: MainWindow) -> None:
    _ready(qtbot, window)
    c = window.controller
    got: list[int] = []
    c.stripReady.connect(lambda key, _images: got.append(key[1]))
    c.request_strip(3)
    c.request_strip(5)  # the pointer moved on before direction 4's strip came
    qtbot.waitUntil(lambda: got == [5], timeout=TIMEOUT_MS)
    qtbot.wait(200)
    assert got == [5]
    # A strip follows the picture: another seed is another strip.
    key = c.strip_key(5)
    window.findChild(QWidget, "seedSpin").setValue(9)
    wait_for_frame(qtbot, window)
    assert c.strip_key(5) != key
    # And the slider's own value does not matter (the strip sets it).
    window.findChild(QSlider, "latentSlider5").setValue(150)
    wait_for_frame(qtbot, window)
    assert c.strip_key(5) == c.strip_key(5) and c.strip_key(5)[0].edits[5] == 0.0
    c.drop_strip()
    assert c.request_strip(99) is None


def _rename(qtbot: QtBot, window: MainWindow, index: int, text: str) -> None:
    label = window.findChild(QLabel, f"latentName{index}")
    qtbot.mouseDClick(label, Qt.MouseButton.LeftButton)
    edit = window.findChild(QLineEdit, "directionNameEdit")
    assert edit.isVisible() and edit.text() == label.text()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert not edit.isVisible()


def test_renaming_a_direction_is_saved_per_model(qtbot: QtBot, model_dir: Path) -> None:
    first = open_window(qtbot)
    _ready(qtbot, first)
    _rename(qtbot, first, 2, "Smile")
    label = first.findChild(QLabel, "latentName2")
    assert label.text() == "Smile"
    assert "Smile" in first.findChild(QSlider, "latentSlider2").toolTip()
    first.findChild(QSlider, "latentSlider2").setValue(100)
    assert first.controller.undo_stack.undoText() == "Smile +1.00"
    _enter(first.findChild(QSlider, "latentSlider2"))
    qtbot.waitUntil(lambda: _strip(first).isVisible(), timeout=TIMEOUT_MS)
    assert first.findChild(QLabel, "directionStripTitle").text() == "Smile"
    _leave(first.findChild(QSlider, "latentSlider2"))

    # Renaming is a step of the undo history.
    first.actions_by_name["undoAction"].trigger()  # the slider
    first.actions_by_name["undoAction"].trigger()  # the name
    assert label.text() == "PC 3"
    first.actions_by_name["redoAction"].trigger()
    assert label.text() == "Smile"
    assert first.controller.undo_stack.undoText() == "Rename PC 3 to Smile"
    first.actions_by_name["redoAction"].trigger()

    # Escape keeps the old name.
    qtbot.mouseDClick(label, Qt.MouseButton.LeftButton)
    edit = first.findChild(QLineEdit, "directionNameEdit")
    qtbot.keyClicks(edit, "xx")
    qtbot.keyClick(edit, Qt.Key.Key_Escape)
    assert not edit.isVisible() and label.text() == "Smile"

    combo = first.findChild(QComboBox, "modelCombo")
    combo.setCurrentIndex(combo.findData("tiny-vae"))
    wait_for_frame(qtbot, first)
    assert label.text() == "PC 3"  # another model's direction 3 is another direction
    first.actions_by_name["undoAction"].trigger()
    wait_for_frame(qtbot, first)
    assert label.text() == "Smile"
    first.close()

    second = open_window(qtbot)
    assert second.findChild(QLabel, "latentName2").text() == "Smile"
    # An empty name goes back to the default.
    _rename(qtbot, second, 2, "")
    assert second.findChild(QLabel, "latentName2").text() == "PC 3"
    second.close()
    third = open_window(qtbot)
    assert third.findChild(QLabel, "latentName2").text() == "PC 3"
    third.close()


def test_the_context_menu_renames_and_resets_a_name(qtbot: QtBot, window: MainWindow) -> None:
    label = window.findChild(QLabel, "latentName0")
    window.latent_panel.name_editor.rename(0, "  Hair   colour ")
    assert label.text() == "Hair colour"  # one line, spaces collapsed
    label.customContextMenuRequested.emit(QPoint(2, 2))
    menu = label.findChildren(QMenu)[-1]
    qtbot.waitUntil(menu.isVisible)
    reset = menu.findChild(QAction, "resetDirectionNameAction")
    assert reset.isEnabled()
    reset.trigger()
    menu.close()
    assert label.text() == "PC 1"
    label.customContextMenuRequested.emit(QPoint(2, 2))
    menu = label.findChildren(QMenu)[-1]
    menu.findChild(QAction, "renameDirectionAction").trigger()
    menu.close()
    edit = window.findChild(QLineEdit, "directionNameEdit")
    assert edit.isVisible() and edit.text() == "PC 1"
    qtbot.keyClick(edit, Qt.Key.Key_Escape)
