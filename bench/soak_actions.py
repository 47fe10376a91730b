"""The user actions of the soak (``bench/soak.py``), each one thing a person does in the
window, and how often each comes up."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

# (action, weight): roughly what a person does in an hour at the studio.
WEIGHTS = {
    "drag": 18,
    "slider_key": 8,
    "slider_reset": 3,
    "reset_all": 2,
    "seed": 7,
    "random_seed": 3,
    "truncation": 4,
    "layers": 2,
    "class": 2,
    "model": 4,
    "keep": 7,
    "undo": 12,
    "redo": 6,
    "gallery_open": 4,
    "gallery_delete": 3,
    "favourite": 2,
    "export": 2,
    "theme": 2,
    "zoom": 2,
    "hover": 2,
    "dock": 2,
    "train": 3,
}


class UserActions:
    """Actions on ``self.w`` (an open ``MainWindow``). Each ``do_NAME`` returns whether
    it did something (False: nothing to do in this state). The soak provides ``wait``,
    ``idle``, the window's parts and the bookkeeping these use."""

    w: Any
    c: Any
    stack: Any
    gallery: Any
    panel: Any
    rng: random.Random
    train: Counter[str]
    train_folder: Path
    export_folder: Path
    settle_s: float
    pending_export: bool
    runs: int

    def wait(self, pred: Callable[[], bool], timeout: float) -> bool:
        raise NotImplementedError

    def idle(self, ms: int) -> None:
        raise NotImplementedError

    def _export_done(self, paths: list[Path]) -> None:
        raise NotImplementedError

    def _sliders(self) -> list[Any]:
        return [s for s in self.w.latent_panel.sliders if s.isEnabled()]

    def do_drag(self) -> bool:
        sliders = self._sliders()
        if not sliders:
            return False
        slider = self.rng.choice(sliders)
        slider.setSliderDown(True)  # sliderPressed, as the mouse gives it
        value = slider.value()
        for _ in range(self.rng.randint(2, 8)):
            value = max(slider.minimum(), min(slider.maximum(), value + self.rng.randint(-40, 40)))
            slider.setValue(value)
            self.idle(self.rng.randint(0, 16))
        slider.setSliderDown(False)
        return True

    def do_slider_key(self) -> bool:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        sliders = self._sliders()
        if not sliders:
            return False
        key = self.rng.choice([Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_PageUp])
        QTest.keyClick(self.rng.choice(sliders), key)
        return True

    def do_slider_reset(self) -> bool:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        sliders = self._sliders()
        if not sliders:
            return False
        QTest.mouseDClick(self.rng.choice(sliders), Qt.MouseButton.LeftButton)
        return True

    def do_reset_all(self) -> bool:
        self.w.latent_panel.reset_button.click()
        return True

    def do_seed(self) -> bool:
        # Small seeds, so seeds (and states) come round again.
        self.w.latent_panel.seed_spin.setValue(self.rng.randrange(200))
        return True

    def do_random_seed(self) -> bool:
        self.w.latent_panel.random_button.click()
        return True

    def do_truncation(self) -> bool:
        slider = self.w.latent_panel.truncation_slider
        slider.setValue(self.rng.randint(slider.minimum(), slider.maximum()))
        return True

    def do_layers(self) -> bool:
        panel = self.w.latent_panel
        if not panel.layer_row.isVisible():
            return False
        spin = self.rng.choice([panel.layer_start, panel.layer_end])
        spin.setValue(self.rng.randint(spin.minimum(), spin.maximum()))
        return True

    def do_class(self) -> bool:
        combo = self.w.latent_panel.class_combo
        if not combo.isVisible() or combo.count() < 2:
            return False
        index = self.rng.randrange(combo.count())
        combo.setCurrentIndex(index)
        combo.activated.emit(index)  # as a person's pick, not a program's
        return True

    def do_model(self) -> bool:
        picker = self.w.model_picker
        names = [n for n in picker.usable_names() if n != self.c.state.model]
        if not names:
            return False
        picker.combo.setCurrentIndex(picker.combo.findData(self.rng.choice(names)))
        return True

    def do_keep(self) -> bool:
        self.w.actions_by_name["keepAction"].trigger()
        return True

    def do_undo(self) -> bool:
        if not self.stack.canUndo():
            return False
        self.w.actions_by_name["undoAction"].trigger()
        return True

    def do_redo(self) -> bool:
        if not self.stack.canRedo():
            return False
        self.w.actions_by_name["redoAction"].trigger()
        return True

    def _shown_ids(self, most: int) -> list[int]:
        ids = self.gallery.model.ids
        if not ids:
            return []
        return self.rng.sample(ids, min(len(ids), self.rng.randint(1, most)))

    def do_gallery_open(self) -> bool:
        ids = self._shown_ids(1)
        if not ids:
            return False
        self.gallery.panel.select_ids(ids)
        self.gallery.panel.openRequested.emit(ids[0])  # a double-click on it
        return True

    def do_gallery_delete(self) -> bool:
        ids = self._shown_ids(3)
        if not ids:
            return False
        self.gallery.panel.select_ids(ids)
        self.gallery.panel.delete_button.click()
        return True

    def do_favourite(self) -> bool:
        ids = self._shown_ids(3)
        if not ids:
            return False
        self.gallery.panel.select_ids(ids)
        self.gallery.panel.favourite_button.click()
        return True

    def do_export(self) -> bool:
        from studio.ui.export_dialog import ExportOptions

        fmt = self.rng.choice(["png", "jpeg", "webp"])
        options = ExportOptions(self.export_folder, fmt=fmt, scale=self.rng.choice([1, 2]))
        ids = self._shown_ids(3) if self.rng.random() < 0.5 else []
        if ids:
            options = ExportOptions(options.folder, fmt, options.scale, selection=True)
        self.pending_export = True
        task = self.gallery.exports.export(options, ids or None)
        if task is None:
            self.pending_export = False
            return False
        task.signals.failed.connect(lambda _m: self._export_done([]))
        return True

    def do_theme(self) -> bool:
        self.w.theme_action.trigger()
        return True

    def do_zoom(self) -> bool:
        name = self.rng.choice(["zoomInAction", "zoomOutAction", "fitAction", "actualSizeAction"])
        self.w.actions_by_name[name].trigger()
        return True

    def do_hover(self) -> bool:
        """Rest the pointer on a direction slider (a strip of what it does may show), then
        move away."""
        from PySide6.QtCore import QEvent, QPointF
        from PySide6.QtGui import QEnterEvent
        from PySide6.QtWidgets import QApplication

        sliders = self._sliders()
        if not sliders:
            return False
        slider = self.rng.choice(sliders)
        at = QPointF(slider.rect().center())
        QApplication.sendEvent(slider, QEnterEvent(at, slider.mapTo(self.w, at), at))
        self.idle(self.rng.randint(100, 900))
        QApplication.sendEvent(slider, QEvent(QEvent.Type.Leave))
        return True

    def do_dock(self) -> bool:
        """Close or reopen the gallery or the Train dock (View ▸ Panels)."""
        from PySide6.QtWidgets import QDockWidget

        name = self.rng.choice(["galleryDock", "trainPanel"])
        dock = self.w.findChild(QDockWidget, name)
        if dock is None:
            return False
        dock.toggleViewAction().trigger()
        return True

    def do_train(self) -> bool:
        """Start a tiny run when none is running; else pause, resume or cancel it."""
        panel = self.panel
        if panel.training:
            if self.rng.random() < 0.6:
                panel.pause_button.click()
                self.train["resumes" if not panel.paused else "pauses"] += 1
            else:
                panel.cancel_button.click()
                self.train["cancels"] += 1
                self.wait(lambda: not panel.training, self.settle_s)
            return True
        self._train_setup()
        if not panel.start_button.isEnabled():
            return False
        panel.start_button.click()
        if panel.training:
            self.train["starts"] += 1
        return panel.training

    def _train_setup(self) -> None:
        from PySide6.QtTest import QTest

        panel = self.panel
        if panel.report is None or panel.data.folder() != str(self.train_folder):
            panel.data.set_folder(str(self.train_folder))
            self.wait(lambda: panel.report is not None, self.settle_s)
        s = panel.settings
        s.select(self.rng.choice(["New GAN", "New VAE"]))
        s.resolution.setCurrentIndex(s.resolution.findData(32))
        s.steps.setValue(self.rng.randint(10, 120))
        s.batch.setValue(4)
        self.runs += 1
        # Typed, as a person would (so the panel stops suggesting its own).
        if self.runs == 1 or self.rng.random() < 0.7:
            panel.run.folder_edit.clear()
            QTest.keyClicks(panel.run.folder_edit, str(self.train_folder.parent / "runs" / "soak"))
        panel.run.name_edit.clear()
        QTest.keyClicks(panel.run.name_edit, f"soak-{self.runs}")
