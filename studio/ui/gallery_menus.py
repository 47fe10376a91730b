"""The gallery's menu items, toolbar button and shortcuts, added to the window."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QListView, QMenu, QToolBar

from studio.ui.panel_context import PanelContext

FILE_ITEMS = (
    "keepAction",
    "importAction",
    "exportAction",
    "exportSheetAction",
    "exportMorphAction",
)


def file_menu(ctx: PanelContext) -> QMenu | None:
    """The window's File menu."""
    for action in ctx.window.menuBar().actions():
        menu = action.menu()
        if isinstance(menu, QMenu) and menu.title().replace("&", "") == "File":
            return menu
    return None


def add_gallery_actions(ctx: PanelContext, view: QListView) -> dict[str, QAction]:
    """Keep (Ctrl+K, toolbar), Import (Ctrl+I), Export (Ctrl+E), contact sheet and morph
    in the File menu, and Delete on the gallery ``view``; returned by objectName (and
    added to ``ctx.actions``)."""
    _action = ctx.add_action
    acts = {
        "keepAction": _action(
            "&Keep image", "keepAction", ["Ctrl+K"], "Keep the image with its recipe"
        ),
        "importAction": _action(
            "&Import images…", "importAction", ["Ctrl+I"], "Add image files to the gallery"
        ),
        "exportAction": _action(
            "&Export…", "exportAction", ["Ctrl+E"], "Export the selection or the canvas"
        ),
        "exportSheetAction": _action(
            "Export contact &sheet…", "exportSheetAction", [], "The selection as one PNG"
        ),
        "exportMorphAction": _action(
            "Export &morph…",
            "exportMorphAction",
            [],
            "An animation between selected images",
        ),
    }
    acts["keepAction"].setIconText("Keep")
    delete = QAction("Delete", view)
    delete.setObjectName("galleryDeleteAction")
    delete.setShortcuts([QKeySequence(QKeySequence.StandardKey.Delete), QKeySequence("Backspace")])
    delete.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)  # not while typing a tag
    view.addAction(delete)
    acts["galleryDeleteAction"] = delete
    menu = file_menu(ctx)
    if menu is not None:
        quit_action = ctx.actions.get("quitAction")
        before = quit_action if quit_action in menu.actions() else None
        menu.insertActions(before, [acts[n] for n in FILE_ITEMS])  # type: ignore[arg-type]
        if before is not None:
            menu.insertSeparator(before)
    tools = ctx.window.findChild(QToolBar, "mainToolBar")
    if tools is not None:
        tools.addSeparator()
        tools.addAction(acts["keepAction"])
        button = tools.widgetForAction(acts["keepAction"])
        if button is not None:
            button.setObjectName("keepToolButton")
    return acts


def add_context_action(view: QListView, text: str, name: str) -> QAction:
    """An item of the gallery view's right-click menu (which lists the view's actions)."""
    view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
    action = QAction(text, view)
    action.setObjectName(name)
    action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
    view.addAction(action)
    return action
