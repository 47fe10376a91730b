"""Putting the training studio into the window: its dock, menu entry and shortcut."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMenu, QMenuBar

from studio.ui.train_panel import TrainPanel

if TYPE_CHECKING:
    from studio.ui.window import MainWindow

SHORTCUT = "Ctrl+T"
MIN_WIDTH = 400


def _menu(bar: QMenuBar, title: str) -> QMenu:
    """The menu bar's menu called ``title``, made if it is not there yet."""
    for menu in bar.findChildren(QMenu):
        if menu.title() == title and menu.menuAction() in bar.actions():
            return menu
    return bar.addMenu(title)


def _submenu(bar: QMenuBar, title: str) -> QMenu | None:
    return next((m for m in bar.findChildren(QMenu) if m.title() == title), None)


def device_text(window: MainWindow) -> str:
    """Where the engine runs, as the status bar says it (e.g. "CUDA: NVIDIA H100")."""
    text = window.status.device.text().strip()
    return text if text and text != "…" else str(window.bridge.engine.device).upper()


def published(window: MainWindow, name: str) -> None:
    """A new model was written: list it in the picker (and wake a window that had none)."""
    window.model_picker.refresh()
    if window.model_picker.usable_names() and not window.latent_panel.isEnabled():
        window.latent_panel.setEnabled(True)
        window.notice.hide()
    window.status.showMessage(f"New model {name} is in the model list.", 8000)


def open_model(window: MainWindow, name: str) -> None:
    """Show model ``name`` (one undo step, as picking it in the picker is)."""
    combo = window.model_picker.combo
    index = combo.findData(name)
    if index >= 0:
        combo.setCurrentIndex(index)


def install_train_panel(window: MainWindow) -> TrainPanel:
    """Add the Train dock (hidden; objectName ``trainPanel``), the "Train a model…"
    action (``trainAction``, Ctrl+T) in the Tools menu, and its Panels entry."""
    panel = TrainPanel(window.bridge)
    panel.device_label = lambda: device_text(window)
    panel.setMinimumWidth(MIN_WIDTH)
    dock = QDockWidget("Train", window)
    dock.setObjectName("trainPanel")
    dock.setWidget(panel)
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
    dock.hide()
    window.docks.append(dock)

    action = QAction("&Train a model…", window)
    action.setObjectName("trainAction")
    action.setShortcut(QKeySequence(SHORTCUT))
    tip = "Train a GAN or VAE, or fine-tune one, on a folder of your images"
    action.setToolTip(tip)
    action.setStatusTip(tip)
    window.addAction(action)  # the shortcut works with the menu bar hidden

    def show() -> None:
        dock.show()
        dock.raise_()
        panel.data.edit.setFocus()

    action.triggered.connect(show)
    window.actions_by_name["trainAction"] = action
    bar = window.menuBar()
    _menu(bar, "&Tools").addAction(action)
    panels = _submenu(bar, "&Panels")
    if panels is not None:
        panels.addAction(dock.toggleViewAction())

    panel.set_dark(window.dark_theme)
    window.theme_action.toggled.connect(panel.set_dark)
    panel.published.connect(lambda name: published(window, name))
    panel.openModel.connect(lambda name: open_model(window, name))
    dock.visibilityChanged.connect(
        lambda shown: panel.refresh_models() if shown and not panel.training else None
    )
    return panel
