"""Fixtures for the window tests: a studio window on a CPU engine and tiny models."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from studio.ui.window import MainWindow

from .helpers import open_window


@pytest.fixture
def window(qtbot: QtBot, model_dir: Path) -> Iterator[MainWindow]:
    """The studio on ``tiny-gan`` (the first model), closed (engine joined) afterwards."""
    win = open_window(qtbot)
    yield win
    win.close()
