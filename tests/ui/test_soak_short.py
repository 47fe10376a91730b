"""A short soak: the window driven by random user actions (``bench/soak.py``) keeps working.

The long soak (10,000 actions, memory growth) is a bench; this runs its actions on the
tiny test models for a few seconds, and shows its undo check can fail.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from studio.app import controller
from studio.ui.window import MainWindow

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from soak import Soak  # noqa: E402  (bench/ is not a package)

ACTIONS = 60


@pytest.fixture
def soak(window: MainWindow, shapes_dir: Path, tmp_path: Path) -> Iterator[Soak]:
    driver = Soak(window, seed=3, train_folder=shapes_dir, export_folder=tmp_path / "exports")
    driver.settle_s = 20.0
    yield driver
    driver.close()


def test_sixty_random_actions_leave_no_error_and_undo_lands_on_states_seen(
    qtbot: QtBot, soak: Soak
) -> None:
    figures = soak.run(ACTIONS, rss_from=10)
    problems: dict[str, Any] = figures["first_problems"]
    assert figures["exceptions"] == 0, problems["exceptions"]
    assert figures["banners"] == 0, problems["banners"]
    assert figures["stalls"] == 0, problems["stalls"]
    assert figures["error_log_records"] == 0, problems["error_log"]
    undo = figures["undo"]
    assert undo["undos"] > 0 and undo["not_seen"] == 0 and undo["not_exact"] == 0, undo
    assert sum(figures["by_action"].values()) == ACTIONS
    done = {k for k in figures["by_action"] if "nothing" not in k}
    assert {"drag", "keep", "undo", "model"} <= done
    assert figures["rss_mb"]["at_end"] > 0


def test_the_soak_sees_an_undo_that_lands_elsewhere(
    qtbot: QtBot, soak: Soak, monkeypatch: pytest.MonkeyPatch
) -> None:
    def wrong_undo(self: controller.StateCommand) -> None:
        self.controller.apply(replace(self.before, seed=self.before.seed + 7919))

    monkeypatch.setattr(controller.StateCommand, "undo", wrong_undo)
    figures = soak.run(40, rss_from=10)
    assert figures["undo"]["not_seen"] > 0 and figures["first_problems"]["undo"]
