"""The crossbreed panel: parents, live child, weight 1 = that parent, undoable adopt,
keeping with lineage, and a parent of another model refused."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QSpinBox
from pytestqt.qtbot import QtBot

from studio.pipelines.render import Recipe
from studio.ui.mix_panel import SLIDER_STEPS, MixPanel
from studio.ui.window import MainWindow

from .helpers import FRAME_TIMEOUT_MS, gallery_of, keep_two, wait_for_frame


def panel_of(window: MainWindow) -> MixPanel:
    panel = window.findChild(MixPanel)
    assert isinstance(panel, MixPanel)
    return panel


def two_parents(qtbot: QtBot, window: MainWindow) -> tuple[MixPanel, np.ndarray, np.ndarray]:
    """Parents: the first picture and seed 7's; returns the panel and both frames."""
    panel = panel_of(window)
    first = wait_for_frame(qtbot, window)
    assert panel.add_current()
    window.findChild(QSpinBox, "seedSpin").setValue(7)
    second = wait_for_frame(qtbot, window)
    with qtbot.waitSignal(panel.childReady, timeout=FRAME_TIMEOUT_MS):
        assert panel.add_current()
    return panel, first, second


def wait_child(qtbot: QtBot, panel: MixPanel, want: np.ndarray) -> None:
    def landed() -> None:
        assert panel.child is not None
        assert np.array_equal(panel.child[1], want)

    qtbot.waitUntil(landed, timeout=FRAME_TIMEOUT_MS)


def test_the_dock_is_there_with_its_name(window: MainWindow) -> None:
    assert window.context.dock("mixPanel") is not None
    assert window.context.actions["mixAction"].shortcuts()[0].toString() == "Ctrl+M"


def test_a_child_renders_live_and_weight_one_gives_that_parent(
    qtbot: QtBot, window: MainWindow
) -> None:
    panel, first, second = two_parents(qtbot, window)
    assert panel.child is not None
    child = panel.child[1]
    assert child.shape == first.shape
    assert not np.array_equal(child, first) and not np.array_equal(child, second)
    assert len(panel.sliders) == 2 and len(panel.sliders[0]) == 3  # a GAN: three bands
    assert np.array_equal(window.current_frame(), child)  # shown on the canvas
    for slider in panel.sliders[1]:
        slider.setValue(0)
    wait_child(qtbot, panel, first)
    assert np.array_equal(window.current_frame(), first)
    for slider in panel.sliders[0]:
        slider.setValue(0)
    for slider in panel.sliders[1]:
        slider.setValue(SLIDER_STEPS)
    wait_child(qtbot, panel, second)


def test_using_the_child_is_one_undo_step(qtbot: QtBot, window: MainWindow) -> None:
    panel, _first, second = two_parents(qtbot, window)
    assert panel.child is not None
    child = panel.child[1].copy()
    stack = window.controller.undo_stack
    steps = stack.count()
    panel.use_button.click()
    assert stack.count() == steps + 1
    assert np.array_equal(window.current_frame(), child)
    stack.undo()
    qtbot.waitUntil(
        lambda: np.array_equal(window.current_frame(), second), timeout=FRAME_TIMEOUT_MS
    )
    stack.redo()
    assert np.array_equal(window.current_frame(), child)


def test_a_parent_of_another_model_is_refused(qtbot: QtBot, window: MainWindow) -> None:
    panel, _first, _second = two_parents(qtbot, window)
    before = [p.recipe for p in panel.parents]
    with qtbot.waitSignal(panel.problem) as said:
        assert not panel.add_parent(Recipe("tiny-vae", 3), np.zeros((8, 8, 3), np.uint8))
    assert "one model" in said.args[0]
    assert window.notice.isVisible() and "tiny-vae" in window.notice.text.text()
    assert [p.recipe for p in panel.parents] == before


def test_crossbreed_from_the_gallery_keeps_the_child_with_its_parents(
    qtbot: QtBot, window: MainWindow
) -> None:
    a, b = keep_two(qtbot, window, 11)
    gallery = gallery_of(window)
    gallery.panel.select_ids([a.id, b.id])
    panel = panel_of(window)
    with qtbot.waitSignal(panel.childReady, timeout=FRAME_TIMEOUT_MS):
        gallery.panel.view.findChild(QAction, "galleryCrossbreedAction").trigger()
    assert sorted(p.item_id or 0 for p in panel.parents) == sorted([a.id, b.id])
    with qtbot.waitSignal(gallery.kept) as kept:
        panel.keep_button.click()
    item = kept.args[0]
    assert item.recipe["kind"] == "mix"
    assert sorted(item.parents) == sorted([a.id, b.id])


def test_a_child_replacing_a_slider_preview_leaves_the_sliders_working(
    qtbot: QtBot, window: MainWindow
) -> None:
    panel, _first, _second = two_parents(qtbot, window)
    controller = window.controller
    moved = controller.state.with_edit(0, 1.0)
    controller.preview(moved)  # in flight on the preview lane…
    with qtbot.waitSignal(panel.childReady, timeout=FRAME_TIMEOUT_MS):
        panel.sliders[0][0].setValue(SLIDER_STEPS // 2)  # …replaced by a child
    controller.preview(moved.with_edit(0, 2.0))  # the next move still renders
    wait_for_frame(qtbot, window)


def test_a_vae_mixes_with_one_weight_per_parent(qtbot: QtBot, window: MainWindow) -> None:
    window.open_model("tiny-vae")
    qtbot.waitUntil(
        lambda: (
            window.controller.model_info is not None
            and window.controller.model_info.name == "tiny-vae"
        ),
        timeout=FRAME_TIMEOUT_MS,
    )
    panel, first, _second = two_parents(qtbot, window)
    assert [len(row) for row in panel.sliders] == [1, 1]
    panel.sliders[1][0].setValue(0)
    wait_child(qtbot, panel, first)
    recipe = panel.recipe()
    assert recipe is not None and recipe.weights == ((1.0,), (0.0,))
