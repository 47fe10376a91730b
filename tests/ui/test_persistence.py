"""Which session the window starts with."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QSettings

from studio.app.session import SessionState
from studio.ui.persistence import FIRST_MODEL, STATE_KEY, initial_state


def _settings(tmp_path: Path, state: SessionState | None = None) -> QSettings:
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    if state is not None:
        settings.setValue(STATE_KEY, json.dumps(state.to_dict()))
    return settings


def test_a_first_start_opens_on_the_flagship_model(tmp_path: Path) -> None:
    usable = ["emoji-all-gan", "emoji-classes-gan", FIRST_MODEL, "emoji-vae"]
    assert initial_state(_settings(tmp_path), usable).model == FIRST_MODEL
    # Without it, the first usable model; with none, no model.
    assert initial_state(_settings(tmp_path), ["a-gan", "b-vae"]).model == "a-gan"
    assert initial_state(_settings(tmp_path), []).model == ""


def test_a_saved_session_comes_back_unless_its_model_went_away(tmp_path: Path) -> None:
    saved = SessionState("b-vae", seed=42)
    assert initial_state(_settings(tmp_path, saved), ["a-gan", "b-vae"]) == saved
    moved = initial_state(_settings(tmp_path, saved), ["a-gan", FIRST_MODEL])
    assert (moved.model, moved.seed) == (FIRST_MODEL, 42)
    damaged = _settings(tmp_path)
    damaged.setValue(STATE_KEY, "{not json")
    assert initial_state(damaged, ["a-gan"]).model == "a-gan"
