"""Menus, the toolbar and their shortcuts."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QToolBar

from studio.ui.panel_context import PANELS_MENU, PanelContext


def build_actions(ctx: PanelContext, random_seed: Callable[[], None]) -> dict[str, QAction]:
    """Create the window's actions, menus (View ▸ Panels lists ``ctx.docks``) and
    toolbar; returned by objectName (and kept in ``ctx.actions``). ``random_seed`` is
    what Ctrl+R does."""
    window, canvas, stack = ctx.window, ctx.canvas, ctx.undo_stack
    undo = stack.createUndoAction(window, "&Undo")
    undo.setObjectName("undoAction")
    undo.setShortcuts([QKeySequence(QKeySequence.StandardKey.Undo)])
    redo = stack.createRedoAction(window, "&Redo")
    redo.setObjectName("redoAction")
    redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
    for action, short in ((undo, "Undo"), (redo, "Redo")):
        action.setIconText(short)  # steady toolbar labels; the menu says what they undo
    window.addActions([undo, redo])
    _action = ctx.add_action

    actions = {
        "undoAction": undo,
        "redoAction": redo,
        "zoomInAction": _action("Zoom &in", "zoomInAction", ["Ctrl+=", "Ctrl++"]),
        "zoomOutAction": _action("Zoom &out", "zoomOutAction", ["Ctrl+-"]),
        "fitAction": _action("&Fit to window", "fitAction", ["Ctrl+0"]),
        "actualSizeAction": _action("&Actual size", "actualSizeAction", ["Ctrl+1"]),
        "randomSeedAction": _action(
            "&Random seed", "randomSeedAction", ["Ctrl+R"], "Jump to a random seed"
        ),
        "resetSlidersAction": _action(
            "Reset &sliders",
            "resetSlidersAction",
            ["Ctrl+Backspace"],
            "All direction sliders back to 0",
        ),
        "quitAction": _action("&Quit", "quitAction", ["Ctrl+Q"]),
    }
    theme = _action("&Dark theme", "themeToggle", ["Ctrl+Shift+T"], "Dark or light")
    theme.setCheckable(True)
    actions["themeToggle"] = theme
    for name, short in (("fitAction", "Fit"), ("actualSizeAction", "1:1")):
        actions[name].setIconText(short)

    actions["zoomInAction"].triggered.connect(canvas.zoom_in)
    actions["zoomOutAction"].triggered.connect(canvas.zoom_out)
    actions["fitAction"].triggered.connect(canvas.fit)
    actions["actualSizeAction"].triggered.connect(canvas.actual_size)
    actions["randomSeedAction"].triggered.connect(random_seed)
    actions["resetSlidersAction"].triggered.connect(ctx.controller.reset_edits)
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
    panels = view_menu.addMenu(PANELS_MENU)
    for dock in ctx.docks:
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
    ctx.actions.update(actions)
    return actions
