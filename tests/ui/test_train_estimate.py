"""Before Start: a measured time estimate, device defaults, faster choices when long."""

from __future__ import annotations

from pathlib import Path

from conftest import make_shapes_folder
from pytestqt.qtbot import QtBot

from studio.training.estimate import CPU_CHANNEL_BASE, GPU_CHANNEL_BASE, TrainingEstimate
from studio.ui.train_estimate import duration_words, estimate_words
from studio.ui.window import MainWindow

from .test_train_panel import TIMEOUT_MS, open_panel, scan, set_tiny


def test_duration_words() -> None:
    assert duration_words(20) == "under a minute"
    assert duration_words(25 * 60) == "about 25 min"
    assert duration_words(3 * 3600 + 600) == "about 3 h 10 min"
    assert duration_words(2 * 3600) == "about 2 h"
    est = TrainingEstimate(2.0, 0.5, 4000.0, 1000, 8, "CPU", {})
    assert "over an hour" in estimate_words(est, "CPU") and est.long
    short = TrainingEstimate(50.0, 0.02, 160.0, 1000, 8, "CPU", {})
    assert estimate_words(short, "CPU").startswith("About 3 min on this CPU")


def test_a_new_gan_on_a_cpu_starts_at_the_shipped_size(window: MainWindow) -> None:
    settings = open_panel(window).settings
    settings.select("New GAN")
    assert settings.gan_size.currentData() == CPU_CHANNEL_BASE
    settings.set_device("cuda")
    assert settings.gan_size.currentData() == GPU_CHANNEL_BASE
    settings.set_device("cpu")
    panel = window.train_panel
    panel.model_options = {"gan": {}, "vae": {}}
    cfg = settings.config("/data", "cpu", {})
    assert cfg["model"]["channel_base"] == CPU_CHANNEL_BASE
    assert settings.smaller() and settings.config("/data", "cpu", {})["model"]["channel_base"] < (
        CPU_CHANNEL_BASE
    )


def test_the_estimate_shows_before_start_and_offers_faster_choices(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    panel = open_panel(window)
    scan(qtbot, panel, make_shapes_folder(tmp_path / "shapes", count=12, size=32))
    set_tiny(panel, "New GAN", 10)
    qtbot.waitUntil(lambda: panel.estimate is not None, timeout=TIMEOUT_MS)
    label = panel.estimate_view.label.text()
    assert "on this CPU" in label and "images/s measured now" in label
    assert panel.estimate.steps == 10 and not panel.estimate_view.faster.isVisibleTo(panel)
    # A run that would take days: say so, and offer a fine-tune of one of ours.
    panel.settings.steps.setValue(1_000_000)
    qtbot.waitUntil(lambda: panel.estimate is not None, timeout=TIMEOUT_MS)
    assert panel.estimate.long and "over an hour" in panel.estimate_view.label.text()
    assert panel.estimate_view.faster.isVisibleTo(panel)
    tune = panel.estimate_view.tune_button
    assert tune.isVisibleTo(panel) and "tiny-gan" in tune.text()
    tune.click()
    assert panel.settings.choice().base == "tiny-gan"


def test_a_new_step_count_rescales_the_estimate_without_timing_again(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    panel = open_panel(window)
    scan(qtbot, panel, make_shapes_folder(tmp_path / "shapes", count=12, size=32))
    set_tiny(panel, "New GAN", 10)
    qtbot.waitUntil(lambda: panel.estimate is not None, timeout=TIMEOUT_MS)
    first = panel.estimate
    panel.settings.steps.setValue(40)
    assert not panel._estimate_timer.isActive()  # no new timing is on its way
    qtbot.wait(800)  # past the panel's debounce
    assert panel._estimate_job is None and panel.estimate is not first
    assert panel.estimate.steps == 40 and panel.estimate.images_per_s == first.images_per_s
    assert abs(panel.estimate.seconds - 4 * first.seconds) < 1e-6 * first.seconds
    assert "40 steps" in panel.estimate_view.label.text()
