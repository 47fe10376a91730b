"""A new model starts with its direction sliders at zero; undo brings the old values back."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QComboBox, QSlider
from pytestqt.qtbot import QtBot

from studio.app.session import DEFAULT_SLIDERS, SessionState, fresh_start
from studio.ui.persistence import STATE_KEY, initial_state
from studio.ui.window import MainWindow

from .helpers import wait_for_frame

ZERO = (0.0,) * DEFAULT_SLIDERS


def test_switching_models_zeroes_the_sliders_as_one_undo_step(
    qtbot: QtBot, window: MainWindow
) -> None:
    slider = window.findChild(QSlider, "latentSlider0")
    slider.setValue(273)  # PC 1 = +2.73 of tiny-gan
    window.findChild(QSlider, "latentSlider4").setValue(-150)
    edited = wait_for_frame(qtbot, window)
    before = window.state
    assert before.edits[0] == 2.73 and before.edits[4] == -1.5
    steps = window.controller.undo_stack.count()

    combo = window.findChild(QComboBox, "modelCombo")
    combo.setCurrentIndex(combo.findData("tiny-vae"))
    wait_for_frame(qtbot, window)
    assert window.state.model == "tiny-vae"
    assert window.state.edits == ZERO
    assert all(
        s.value() == 0 for s in window.findChildren(QSlider) if s.objectName() != "truncationSlider"
    )
    assert window.controller.undo_stack.count() == steps + 1  # one step, not two

    window.actions_by_name["undoAction"].trigger()
    assert window.state == before
    assert slider.value() == 273
    assert (wait_for_frame(qtbot, window) == edited).all()
    window.actions_by_name["redoAction"].trigger()
    assert window.state.model == "tiny-vae" and window.state.edits == ZERO


def test_fresh_start_keeps_edits_the_change_itself_made() -> None:
    old = SessionState("a-gan", seed=3, edits=(2.73,) + ZERO[1:])
    moved = fresh_start(old, replace(old, model="b-gan"))
    assert moved.edits == ZERO and moved.seed == 3
    # A change that names its own edits (opening a kept image of another model) keeps them.
    chosen = replace(old, model="b-gan", edits=(0.5,) + ZERO[1:])
    assert fresh_start(old, chosen).edits == chosen.edits
    # The same model: edits stay.
    assert fresh_start(old, replace(old, seed=4)).edits == old.edits


def test_a_saved_session_whose_model_went_away_starts_at_zero(tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    saved = SessionState("gone-gan", seed=42, edits=(1.25,) + ZERO[1:])
    settings.setValue(STATE_KEY, json.dumps(saved.to_dict()))
    state = initial_state(settings, ["a-gan"])
    assert (state.model, state.seed, state.edits) == ("a-gan", 42, ZERO)
