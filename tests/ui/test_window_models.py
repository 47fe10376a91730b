"""Switching models, and jobs that fail without taking the window down."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QSlider, QSpinBox
from pytestqt.qtbot import QtBot

from studio.engine import RenderLatent
from studio.engine import handlers as engine_handlers
from studio.engine.handlers import JobContext, RenderResult
from studio.models.checkpoint import metadata_for, save_checkpoint
from studio.models.gan import GANConfig, StyleGenerator
from studio.ui.window import MainWindow

from .helpers import open_window, wait_for_frame


def save_gan_64(folder: Path) -> None:
    """A third model with a different resolution (64 px)."""
    torch.manual_seed(1)
    cfg = GANConfig(
        resolution=64, z_dim=8, w_dim=16, mapping_layers=2, channel_base=128, channel_max=16
    )
    module = StyleGenerator(cfg).eval().requires_grad_(False)
    data = {"name": "test shapes", "source": "tests", "licence": "CC0", "count": 0}
    training = {"steps": 40, "fine_tuned_from": {"name": "tiny-gan", "steps": 1500}}
    meta = metadata_for(module, name="wide-gan", data=data, training=training)
    save_checkpoint(module, folder / "wide-gan.safetensors", meta)


def pick(window: MainWindow, name: str) -> None:
    combo = window.findChild(QComboBox, "modelCombo")
    index = combo.findData(name)
    assert index >= 0, f"{name} is not in the picker"
    combo.setCurrentIndex(index)


def test_model_switching_updates_picture_and_resolution(qtbot: QtBot, model_dir: Path) -> None:
    save_gan_64(model_dir)
    window = open_window(qtbot)
    combo = window.findChild(QComboBox, "modelCombo")
    names = [combo.itemData(i) for i in range(combo.count())]
    assert names == ["tiny-gan", "tiny-vae", "wide-gan"]
    tip = combo.itemData(names.index("tiny-vae"), Qt.ItemDataRole.ToolTipRole)
    assert "32×32" in tip and "test shapes" in tip and "CC0" in tip
    assert "Fine-tuned from" not in tip
    tip = combo.itemData(names.index("wide-gan"), Qt.ItemDataRole.ToolTipRole)
    assert "test shapes for 40 steps" in tip and "Fine-tuned from: tiny-gan (1,500 steps)" in tip
    gan = wait_for_frame(qtbot, window)

    pick(window, "tiny-vae")
    vae = wait_for_frame(qtbot, window)
    assert window.state.model == "tiny-vae" and not np.array_equal(gan, vae)
    qtbot.waitUntil(lambda: "VAE" in window.findChild(QLabel, "modelInfo").text())
    assert not window.findChild(QSpinBox, "layerStartSpin").isVisible()  # GANs only
    # tiny-vae has an 8-number code, so only 8 direction sliders can do anything.
    qtbot.waitUntil(lambda: not window.findChild(QSlider, "latentSlider8").isEnabled())
    assert window.findChild(QSlider, "latentSlider7").isEnabled()
    assert "tiny-vae" in window.windowTitle()

    pick(window, "wide-gan")
    wide = wait_for_frame(qtbot, window)
    assert wide.shape == (64, 64, 3)
    qtbot.waitUntil(lambda: window.findChild(QSpinBox, "layerEndSpin").maximum() == 10)
    qtbot.waitUntil(lambda: window.findChild(QSlider, "latentSlider11").isEnabled())

    window.actions_by_name["undoAction"].trigger()  # model changes are undoable too
    assert combo.currentData() == "tiny-vae"
    assert np.array_equal(wait_for_frame(qtbot, window), vae)
    window.close()


def test_a_failing_render_is_shown_and_the_next_job_works(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = engine_handlers.HANDLERS[RenderLatent]

    def boom(req: RenderLatent, ctx: JobContext) -> RenderResult:
        raise ValueError("the generator is on fire")

    monkeypatch.setitem(engine_handlers.HANDLERS, RenderLatent, boom)
    window.findChild(QSpinBox, "seedSpin").setValue(3)
    notice = window.notice
    qtbot.waitUntil(lambda: notice.isVisible(), timeout=10_000)
    assert "the generator is on fire" in notice.text.text()
    assert "the generator is on fire" in window.statusBar().currentMessage()
    assert "ValueError" in notice.details

    monkeypatch.setitem(engine_handlers.HANDLERS, RenderLatent, original)
    window.findChild(QSpinBox, "seedSpin").setValue(4)
    frame = wait_for_frame(qtbot, window)
    assert frame.std() > 1.0 and not notice.isVisible()


def test_a_model_file_replaced_by_garbage(
    qtbot: QtBot, window: MainWindow, model_dir: Path
) -> None:
    gan = wait_for_frame(qtbot, window)
    (model_dir / "tiny-vae.safetensors").write_bytes(b"this is not a model" * 10)
    pick(window, "tiny-vae")
    qtbot.waitUntil(lambda: window.notice.isVisible(), timeout=10_000)
    assert "tiny-vae" in window.notice.text.text()
    assert np.array_equal(window.current_frame(), gan)  # the old picture stays

    pick(window, "tiny-gan")
    assert np.array_equal(wait_for_frame(qtbot, window), gan)
    window.findChild(QSpinBox, "seedSpin").setValue(9)
    assert not np.array_equal(wait_for_frame(qtbot, window), gan)
    assert not window.notice.isVisible()


def save_classed_gan(folder: Path) -> None:
    """A class-conditional model (three classes)."""
    torch.manual_seed(2)
    cfg = GANConfig(
        resolution=32,
        z_dim=8,
        w_dim=16,
        mapping_layers=2,
        channel_base=128,
        channel_max=16,
        num_classes=3,
    )
    module = StyleGenerator(cfg).eval().requires_grad_(False)
    data = {"name": "test shapes", "source": "tests", "licence": "CC0", "count": 0}
    meta = metadata_for(module, name="zoo-gan", data=data, classes=["cat", "dog", "owl"])
    save_checkpoint(module, folder / "zoo-gan.safetensors", meta)


def test_the_class_picker_of_a_conditional_model(qtbot: QtBot, model_dir: Path) -> None:
    save_classed_gan(model_dir)
    window = open_window(qtbot)
    classes = window.findChild(QComboBox, "classCombo")
    assert not classes.isVisible()  # tiny-gan has no classes
    pick(window, "zoo-gan")
    qtbot.waitUntil(lambda: classes.isVisible())
    assert "3 classes" in window.findChild(QLabel, "modelInfo").text()
    names = [classes.itemText(i) for i in range(classes.count())]
    assert names == ["Any (from the seed)", "cat", "dog", "owl"]
    assert classes.currentIndex() == 0 and window.state.label is None
    any_class = wait_for_frame(qtbot, window)

    frames = {}
    for index, name in ((1, "cat"), (2, "dog"), (3, "owl")):
        classes.activated.emit(index)  # what choosing from the list sends
        assert window.state.label == index - 1
        frames[name] = wait_for_frame(qtbot, window)
    assert len({f.tobytes() for f in frames.values()}) == 3, "each class draws its own"
    assert any(np.array_equal(any_class, f) for f in frames.values()), "any = the seed's class"

    window.actions_by_name["undoAction"].trigger()  # a class choice is one undo step
    assert window.state.label == 1 and classes.currentText() == "dog"
    classes.activated.emit(0)
    assert window.state.label is None and classes.currentIndex() == 0
    assert np.array_equal(wait_for_frame(qtbot, window), any_class)
    pick(window, "tiny-gan")  # a class means nothing to another model
    qtbot.waitUntil(lambda: not classes.isVisible())
    window.close()
