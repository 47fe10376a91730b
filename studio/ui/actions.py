"""Menus, the toolbar and their shortcuts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QToolBar

if TYPE_CHECKING:
    from studio.ui.window import MainWindow


def _action(window: MainWindow, text: str, name: str, keys: list[str], tip: str = "") -> QAction:
    action = QAction(text, window)
    action.setObjectName(name)
    action.setShortcuts([QKeySequence(k) for k in keys])
    if tip:
        action.setToolTip(tip)
        action.setStatusTip(tip)
    window.addAction(action)  # shortcuts work even when the menu bar is hidden
    return action


def build_actions(window: MainWindow) -> dict[str, QAction]:
    """Create every action, put them in menus and the toolbar; returned by objectName."""
    canvas, stack = window.canvas, window.controller.undo_stack
    undo = stack.createUndoAction(window, "&Undo")
    undo.setObjectName("undoAction")
    undo.setShortcuts([QKeySequence(QKeySequence.StandardKey.Undo)])
    redo = stack.createRedoAction(window, "&Redo")
    redo.setObjectName("redoAction")
    redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
    for action, short in ((undo, "Undo"), (redo, "Redo")):
        action.setIconText(short)  # steady toolbar labels; the menu says what they undo
    window.addActions([undo, redo])

    actions = {
        "undoAction": undo,
        "redoAction": redo,
        "zoomInAction": _action(window, "Zoom &in", "zoomInAction", ["Ctrl+=", "Ctrl++"]),
        "zoomOutAction": _action(window, "Zoom &out", "zoomOutAction", ["Ctrl+-"]),
        "fitAction": _action(window, "&Fit to window", "fitAction", ["Ctrl+0"]),
        "actualSizeAction": _action(window, "&Actual size", "actualSizeAction", ["Ctrl+1"]),
        "randomSeedAction": _action(
            window, "&Random seed", "randomSeedAction", ["Ctrl+R"], "Jump to a random seed"
        ),
        "resetSlidersAction": _action(
            window,
            "Reset &sliders",
            "resetSlidersAction",
            ["Ctrl+Backspace"],
            "All direction sliders back to 0",
        ),
        "quitAction": _action(window, "&Quit", "quitAction", ["Ctrl+Q"]),
    }
    theme = _action(window, "&Dark theme", "themeToggle", ["Ctrl+Shift+T"], "Dark or light")
    theme.setCheckable(True)
    actions["themeToggle"] = theme
    for name, short in (("fitAction", "Fit"), ("actualSizeAction", "1:1")):
        actions[name].setIconText(short)

    actions["zoomInAction"].triggered.connect(canvas.zoom_in)
    actions["zoomOutAction"].triggered.connect(canvas.zoom_out)
    actions["fitAction"].triggered.connect(canvas.fit)
    actions["actualSizeAction"].triggered.connect(canvas.actual_size)
    actions["randomSeedAction"].triggered.connect(window.latent_panel.random_seed)
    actions["resetSlidersAction"].triggered.connect(window.controller.reset_edits)
    actions["quitAction"].triggered.connect(window.close)

    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    file_menu.addAction(actions["quitAction"])
    edit_menu = bar.addMenu("&Edit")
    edit_menu.addActions([undo, redo])
    edit_menu.addSeparator()
    edit_menu.addActions([actions["randomSeedAction"], actions["resetSlidersAction"]])
    view_menu = bar.addMenu("&View")
    view_menu.addActions(
        [actions[n] for n in ("zoomInAction", "zoomOutAction", "fitAction", "actualSizeAction")]
    )
    view_menu.addSeparator()
    view_menu.addAction(theme)
    panels = view_menu.addMenu("&Panels")
    for dock in window.docks:
        panels.addAction(dock.toggleViewAction())

    tools = QToolBar("Main", window)
    tools.setObjectName("mainToolBar")
    tools.setMovable(False)
    tools.addActions([undo, redo])
    tools.addSeparator()
    tools.addActions(
        [actions[n] for n in ("zoomOutAction", "zoomInAction", "fitAction", "actualSizeAction")]
    )
    tools.addSeparator()
    tools.addAction(actions["randomSeedAction"])
    window.addToolBar(tools)
    return actions
