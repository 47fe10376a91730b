"""Putting the training studio into the window: its dock, menu entry and shortcut."""

from __future__ import annotations

from PySide6.QtCore import Qt

from studio.ui.panel_context import PanelContext
from studio.ui.train_panel import TrainPanel

SHORTCUT = "Ctrl+T"
MIN_WIDTH = 400


def device_text(ctx: PanelContext) -> str:
    """Where the engine runs, as the status bar says it (e.g. "CUDA: NVIDIA H100")."""
    text = ctx.status.device.text().strip()
    return text if text and text != "…" else str(ctx.bridge.engine.device).upper()


def install_train_panel(ctx: PanelContext) -> TrainPanel:
    """Add the Train dock (hidden; objectName ``trainPanel``), the "Train a model…"
    action (``trainAction``, Ctrl+T) in the Tools menu, and its Panels entry.

    The window connects the panel's ``published`` and ``openModel`` signals to its
    model picker."""
    panel = TrainPanel(ctx.bridge)
    panel.device_label = lambda: device_text(ctx)
    panel.setMinimumWidth(MIN_WIDTH)
    dock = ctx.add_dock(panel, "trainPanel", "Train", Qt.DockWidgetArea.LeftDockWidgetArea)

    tip = "Train a GAN or VAE, or fine-tune one, on a folder of your images"
    action = ctx.add_action("&Train a model…", "trainAction", [SHORTCUT], tip)

    def show() -> None:
        dock.show()
        dock.raise_()
        panel.data.edit.setFocus()

    action.triggered.connect(show)
    ctx.menu("&Tools").addAction(action)

    panel.set_dark(ctx.dark())
    theme = ctx.actions.get("themeToggle")
    if theme is not None:
        theme.toggled.connect(panel.set_dark)
    dock.visibilityChanged.connect(
        lambda shown: panel.refresh_models() if shown and not panel.training else None
    )
    return panel
