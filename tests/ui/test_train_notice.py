"""The Train panel shows what a run says once, e.g. that a resume found no checkpoint."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from studio.training.loop import NO_CHECKPOINT
from studio.training.run import StepReport
from studio.ui.train_progress import ProgressView


def _report(step: int, **extra: object) -> StepReport:
    return StepReport(step=step, total=10, losses={}, images_per_s=1.0, seconds=step, **extra)


def test_a_resume_without_checkpoint_is_said_in_the_panel(qtbot: QtBot) -> None:
    view = ProgressView()
    qtbot.addWidget(view)
    view.show()
    view.add(_report(1, notice=NO_CHECKPOINT))
    assert view.warning.isVisible()
    assert NO_CHECKPOINT in view.warning.text()
    # A later step without a health check leaves it up; a clean health check clears it.
    view.add(_report(2))
    assert NO_CHECKPOINT in view.warning.text()
    view.add(_report(3, metrics={"diversity": 0.5}))
    assert not view.warning.isVisible()
