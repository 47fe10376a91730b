"""The gallery's menu items, toolbar button and shortcuts, added to the window."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QListView, QMenu, QToolBar

if TYPE_CHECKING:
    from studio.ui.window import MainWindow

FILE_ITEMS = (
    "keepAction",
    "importAction",
    "exportAction",
    "exportSheetAction",
    "exportMorphAction",
)


def _action(window: MainWindow, text: str, name: str, keys: Sequence[str], tip: str) -> QAction:
    action = QAction(text, window)
    action.setObjectName(name)
    action.setShortcuts([QKeySequence(k) for k in keys])
    action.setToolTip(tip)
    action.setStatusTip(tip)
    window.addAction(action)  # shortcuts work even when the menu bar is hidden
    window.actions_by_name[name] = action
    return action


def file_menu(window: MainWindow) -> QMenu | None:
    """The window's File menu."""
    for action in window.menuBar().actions():
        menu = action.menu()
        if isinstance(menu, QMenu) and menu.title().replace("&", "") == "File":
            return menu
    return None


def add_gallery_actions(window: MainWindow, view: QListView) -> dict[str, QAction]:
    """Keep (Ctrl+K, toolbar), Import (Ctrl+I), Export (Ctrl+E), contact sheet and morph
    in the File menu, and Delete on the gallery ``view``; returned by objectName (and
    added to ``window.actions_by_name``)."""
    acts = {
        "keepAction": _action(
            window, "&Keep image", "keepAction", ["Ctrl+K"], "Keep the image with its recipe"
        ),
        "importAction": _action(
            window, "&Import images…", "importAction", ["Ctrl+I"], "Add image files to the gallery"
        ),
        "exportAction": _action(
            window, "&Export…", "exportAction", ["Ctrl+E"], "Export the selection or the canvas"
        ),
        "exportSheetAction": _action(
            window, "Export contact &sheet…", "exportSheetAction", [], "The selection as one PNG"
        ),
        "exportMorphAction": _action(
            window,
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
    menu = file_menu(window)
    if menu is not None:
        quit_action = window.actions_by_name.get("quitAction")
        before = quit_action if quit_action in menu.actions() else None
        menu.insertActions(before, [acts[n] for n in FILE_ITEMS])  # type: ignore[arg-type]
        if before is not None:
            menu.insertSeparator(before)
    tools = window.findChild(QToolBar, "mainToolBar")
    if tools is not None:
        tools.addSeparator()
        tools.addAction(acts["keepAction"])
        button = tools.widgetForAction(acts["keepAction"])
        if button is not None:
            button.setObjectName("keepToolButton")
    return acts
