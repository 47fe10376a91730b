"""Closing the window: state saved and restored, jobs cancelled, worker joined."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QComboBox, QDockWidget, QSlider, QSpinBox
from pytestqt.qtbot import QtBot

from studio.engine import ComputeDirections, Engine
from studio.engine import handlers as engine_handlers
from studio.engine.handlers import JobContext
from studio.ui import create_main_window

from .helpers import open_window, wait_for_frame


def test_state_is_restored_after_close_and_reopen(qtbot: QtBot, model_dir: Path) -> None:
    first = open_window(qtbot)
    first.findChild(QSpinBox, "seedSpin").setValue(1234)
    first.findChild(QSlider, "latentSlider3").setValue(-125)
    first.findChild(QSlider, "truncationSlider").setValue(70)
    first.findChild(QSpinBox, "layerEndSpin").setValue(6)
    frame = wait_for_frame(qtbot, first)
    first.actions_by_name["actualSizeAction"].trigger()
    first.actions_by_name["themeToggle"].trigger()  # to light
    first.findChild(QDockWidget, "styleDock").show()
    saved_state = first.state
    first.close()

    second = open_window(qtbot)
    assert second.state == saved_state
    assert second.findChild(QSpinBox, "seedSpin").value() == 1234
    assert second.findChild(QSlider, "latentSlider3").value() == -125
    assert second.findChild(QSlider, "truncationSlider").value() == 70
    assert saved_state.layers == (0, 6)
    qtbot.waitUntil(lambda: second.findChild(QSpinBox, "layerEndSpin").value() == 6)
    assert np.array_equal(wait_for_frame(qtbot, second), frame)
    assert not second.canvas.fit_mode and second.canvas.zoom == 1.0
    assert not second.dark_theme and not second.actions_by_name["themeToggle"].isChecked()
    assert not second.findChild(QDockWidget, "styleDock").isHidden()
    assert second.controller.undo_stack.count() == 0  # a fresh history
    second.close()


def test_closing_cancels_jobs_and_joins_the_worker_within_a_second(
    qtbot: QtBot, model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window(qtbot)

    def slow(req: ComputeDirections, ctx: JobContext) -> None:
        for _ in range(1000):  # 10 s unless cancelled
            ctx.cancel.check()
            time.sleep(0.01)

    monkeypatch.setitem(engine_handlers.HANDLERS, ComputeDirections, slow)
    with qtbot.waitSignal(
        window.bridge.jobEvent, timeout=10_000, check_params_cb=lambda ev: ev.kind == "started"
    ):
        window.bridge.submit(ComputeDirections("tiny-gan"), "render")
    worker = window.bridge.engine._worker
    start = time.perf_counter()
    window.close()
    assert time.perf_counter() - start < 1.0
    assert window.clean_shutdown is True
    assert not worker.is_alive()


def test_no_models_says_where_to_put_them(qtbot: QtBot) -> None:
    window = create_main_window(Engine("cpu"))
    qtbot.addWidget(window)
    window.show()
    assert window.notice.isVisible() and "No models found" in window.notice.text.text()
    assert not window.latent_panel.isEnabled() and window.current_frame() is None
    window.close()
    assert window.clean_shutdown is True


def test_a_saved_model_that_went_away_falls_back_to_another(qtbot: QtBot, model_dir: Path) -> None:
    first = open_window(qtbot)
    first.findChild(QComboBox, "modelCombo").setCurrentIndex(1)  # tiny-vae
    first.findChild(QSpinBox, "seedSpin").setValue(77)
    wait_for_frame(qtbot, first)
    first.close()
    (model_dir / "tiny-vae.safetensors").unlink()
    second = open_window(qtbot)
    assert second.state.model == "tiny-gan" and second.state.seed == 77
    second.close()
