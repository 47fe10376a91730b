"""The Train dock: check a folder, train tiny models, pause/resume/cancel, publish."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import make_shapes_folder
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSlider,
    QWidget,
)
from pytestqt.qtbot import QtBot

from studio.training.run import StepReport, TrainConfig
from studio.ui.train_panel import TrainPanel
from studio.ui.window import MainWindow

from .helpers import wait_for_frame

TIMEOUT_MS = 30_000
TINY = {
    "gan": {"z_dim": 8, "w_dim": 16, "mapping_layers": 2, "channel_base": 128, "channel_max": 16},
    "vae": {"latent_dim": 8, "base_channels": 4, "max_channels": 16},
}


@pytest.fixture(autouse=True, scope="module")
def _one_thread() -> Iterator[None]:
    """Training and previews share two cores: one thread each keeps both moving."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def child(window: QWidget, kind: type, name: str):
    widget = window.findChild(kind, name)
    assert widget is not None, f"no {kind.__name__} named {name}"
    return widget


def open_panel(window: MainWindow) -> TrainPanel:
    """Open the Train dock from its menu action, with tiny model settings."""
    window.actions_by_name["trainAction"].trigger()
    assert child(window, QDockWidget, "trainPanel").isVisible()
    panel = window.train_panel
    panel.model_options = {k: dict(v) for k, v in TINY.items()}
    return panel


def scan(qtbot: QtBot, panel: TrainPanel, folder: Path) -> str:
    panel.data.set_folder(str(folder))
    qtbot.waitUntil(lambda: panel.report is not None, timeout=TIMEOUT_MS)
    return child(panel, QPlainTextEdit, "trainDataReport").toPlainText()


def set_tiny(panel: TrainPanel, choice: str, steps: int) -> None:
    s = panel.settings
    s.select(choice)
    s.resolution.setCurrentIndex(s.resolution.findData(32))
    s.steps.setValue(steps)
    s.batch.setValue(4)
    panel.config_overrides = {"preview_every": 2, "checkpoint_every": 1000, "log_every": 1}


def steps_seen(panel: TrainPanel) -> int:
    return panel.last_report.step if panel.last_report is not None else 0


def test_checking_a_folder_reports_and_sets_up(
    qtbot: QtBot, window: MainWindow, shapes_dir: Path, tmp_path: Path
) -> None:
    (shapes_dir / "notes.txt").write_text("not a picture")
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(shapes_dir / "tiny.png")
    shutil.copy(shapes_dir / "shape-000.png", shapes_dir / "copy.png")
    panel = open_panel(window)
    start = child(window, QPushButton, "trainStartButton")
    assert not start.isEnabled()  # nothing checked yet

    text = scan(qtbot, panel, shapes_dir)
    assert "24 images usable, 3 skipped" in text
    assert "too small: tiny.png (8×8" in text and "not an image: notes.txt" in text
    assert "exact duplicate" in text and "No classes" in text
    assert start.isEnabled() and "shapes-gan" in panel.run.folder_edit.text()
    combo = child(window, QComboBox, "trainModelCombo")
    labels = [combo.itemText(i) for i in range(combo.count())]
    assert labels == ["New GAN", "New VAE", "Fine-tune tiny-gan", "Fine-tune tiny-vae"]
    for name in ("trainStartButton", "trainPauseButton", "trainCancelButton"):
        assert child(window, QPushButton, name).toolTip()

    s = panel.settings
    assert s.augment.value() == 1.0 and s.steps.value() >= 1000  # small set: strong, long
    assert not s.conditional.isEnabled()  # no class subfolders
    s.select("Fine-tune tiny-gan")
    assert s.freeze.isVisibleTo(panel) and not s.resolution.isEnabled()
    assert s.resolution.currentData() == 32
    s.select("New VAE")
    assert not s.freeze.isVisibleTo(panel) and s.beta.isVisibleTo(panel)
    cfg = TrainConfig(**s.config(str(shapes_dir), "cpu", TINY["vae"]))
    assert cfg.kind == "vae" and cfg.model["resolution"] == 64 and cfg.data == str(shapes_dir)

    classes = tmp_path / "classes"
    make_shapes_folder(classes / "red", 6, seed=1)
    make_shapes_folder(classes / "blue", 6, seed=2)
    s.select("New GAN")
    assert "Classes (2): blue, red" in scan(qtbot, panel, classes)
    assert s.conditional.isEnabled()

    empty = tmp_path / "empty"
    empty.mkdir()
    assert "No usable images" in scan(qtbot, panel, empty)
    assert not start.isEnabled()
    assert "no usable images" in child(window, QLabel, "trainMessage").text()


def test_warning_is_shown_in_plain_words(window: MainWindow) -> None:
    panel = open_panel(window)
    warning = child(window, QLabel, "trainWarning")
    assert not warning.isVisible()
    report = StepReport(10, 100, {"loss_d": 1.0, "loss_g": 2.0}, 5.0, 2.0)
    report.metrics = {"diversity": 0.1, "data_diversity": 0.5}
    report.warning = "The samples look much alike: the model may be collapsing."
    panel._step(report)
    assert warning.isVisible() and "look much alike" in warning.text()
    assert panel.plot.points("diversity") == [(10, 0.1)]


def test_training_shows_progress_and_publishes(
    qtbot: QtBot, window: MainWindow, shapes_dir: Path
) -> None:
    panel = open_panel(window)
    scan(qtbot, panel, shapes_dir)
    set_tiny(panel, "New GAN", 6)
    panel.run.name_edit.setText("my-shapes")
    child(window, QPushButton, "trainStartButton").click()
    assert panel.training
    assert "CPU" in child(window, QLabel, "trainDevice").text()
    combo = child(window, QComboBox, "modelCombo")
    qtbot.waitUntil(lambda: combo.findData("my-shapes") >= 0, timeout=TIMEOUT_MS)

    assert steps_seen(panel) == 6 and not panel.training
    assert panel.preview.frame is not None and panel.preview.pixmap().width() > 0
    plotted = [s for s, _ in panel.plot.points("loss_d")]  # steps arrive thinned to ~20/s
    assert plotted[0] == 1 and plotted[-1] == 6 and plotted == sorted(set(plotted))
    assert len(panel.plot.points("diversity")) == 3  # with each preview
    qtbot.waitUntil(lambda: child(window, QProgressBar, "trainProgress").value() == 1000)
    assert "Finished at step 6 of 6" in child(window, QLabel, "trainProgressText").text()
    assert "Published my-shapes" in child(window, QLabel, "trainMessage").text()
    assert "Fine-tune my-shapes" in [
        panel.settings.model.itemText(i) for i in range(panel.settings.model.count())
    ]
    child(window, QPushButton, "trainOpenButton").click()
    assert window.state.model == "my-shapes"
    assert wait_for_frame(qtbot, window).shape == (32, 32, 3)


def test_pause_resume_cancel_while_the_studio_keeps_working(
    qtbot: QtBot, window: MainWindow, shapes_dir: Path
) -> None:
    panel = open_panel(window)
    scan(qtbot, panel, shapes_dir)
    set_tiny(panel, "New VAE", 100_000)
    pause = child(window, QPushButton, "trainPauseButton")
    cancel = child(window, QPushButton, "trainCancelButton")
    child(window, QPushButton, "trainStartButton").click()
    qtbot.waitUntil(lambda: steps_seen(panel) >= 2, timeout=TIMEOUT_MS)

    before = wait_for_frame(qtbot, window)  # sliders still render while training
    child(window, QSlider, "latentSlider0").setValue(200)
    assert not np.array_equal(wait_for_frame(qtbot, window), before)
    qtbot.keyClick(panel, Qt.Key.Key_Escape)  # Escape never stops a run
    assert panel.training

    pause.click()
    assert pause.text() == "Resume"
    settled = -1
    while settled != steps_seen(panel):  # the step under way may still finish
        settled = steps_seen(panel)
        qtbot.wait(300)
    qtbot.wait(500)
    assert steps_seen(panel) == settled and panel.training
    assert "Paused" in child(window, QLabel, "trainProgressText").text()
    pause.click()
    assert pause.text() == "Pause"
    qtbot.waitUntil(lambda: steps_seen(panel) >= settled + 2, timeout=TIMEOUT_MS)

    cancel.click()
    qtbot.waitUntil(lambda: not panel.training, timeout=TIMEOUT_MS)
    run = Path(panel.run.folder_edit.text())
    assert (run / "state.pt").is_file()
    assert "state.pt" in child(window, QLabel, "trainMessage").text()
    assert child(window, QPushButton, "trainPublishButton").isEnabled()

    # Start again on the same folder: asked, resumed where it stopped.
    stopped = steps_seen(panel)
    asked: list[Path] = []
    panel.ask_existing_run = lambda folder, _new: asked.append(folder) or "resume"
    child(window, QPushButton, "trainStartButton").click()
    assert asked == [run]
    qtbot.waitUntil(lambda: steps_seen(panel) > stopped, timeout=TIMEOUT_MS)
    assert panel.plot.points("loss")[0][0] == 1  # the earlier steps, from the run's log
    t0 = time.monotonic()
    cancel.click()
    qtbot.waitUntil(lambda: not panel.training, timeout=TIMEOUT_MS)
    assert time.monotonic() - t0 < 10

    # Or start afresh in a new folder beside it.
    panel.ask_existing_run = lambda _folder, can_new: "new" if can_new else "cancel"
    child(window, QPushButton, "trainStartButton").click()
    assert panel.training and panel.run.folder_edit.text() == f"{run}-2"
    qtbot.waitUntil(lambda: steps_seen(panel) >= 1, timeout=TIMEOUT_MS)
    assert panel.plot.points("loss")[0][0] == 1 and steps_seen(panel) < stopped + 1
    cancel.click()
    qtbot.waitUntil(lambda: not panel.training, timeout=TIMEOUT_MS)


def test_fine_tuning_a_gan_with_frozen_layers(
    qtbot: QtBot, window: MainWindow, shapes_dir: Path
) -> None:
    panel = open_panel(window)
    scan(qtbot, panel, shapes_dir)
    set_tiny(panel, "Fine-tune tiny-gan", 3)
    panel.settings.freeze.setValue(2)
    panel.refresh_models()  # as when the dock is shown again: the settings stay
    assert panel.settings.steps.value() == 3 and panel.settings.freeze.value() == 2
    assert panel.run.name() == "tiny-gan-shapes"
    cfg = panel.settings.config(str(shapes_dir), "cpu", TINY["gan"])
    assert cfg["init_from"] == "tiny-gan" and cfg["freeze_d"] == 2
    assert cfg["model"] == {"resolution": 32}  # the base model's: the data are decoded at it
    child(window, QPushButton, "trainStartButton").click()
    combo = child(window, QComboBox, "modelCombo")
    qtbot.waitUntil(lambda: combo.findData("tiny-gan-shapes") >= 0, timeout=TIMEOUT_MS)
    assert steps_seen(panel) == 3
