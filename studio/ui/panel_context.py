"""What a panel is given: the few things of the window it may use, and a way to dock itself.

A panel never sees the main window's class (nothing here imports ``window.py``, and
nothing in ``studio/ui/`` imports in a circle): it gets a :class:`PanelContext` with the
engine bridge, the session controller (and its one undo stack), the canvas, a "keep
this image" callback, the notice bar and status bar for messages, the settings, and
the main window only as a ``QMainWindow`` to add its dock, menu items and shortcuts to.

Adding a panel
--------------
Write the panel as a ``QWidget`` in its own module, with an installer beside it that
takes the context, then call the installer once in ``MainWindow.__init__``::

    from PySide6.QtCore import Qt
    from studio.ui.panel_context import PanelContext

    def install_mix_panel(ctx: PanelContext) -> MixPanel:
        panel = MixPanel(ctx.bridge, ctx.controller)       # submits requests, listens to events
        ctx.add_dock(panel, "mixPanel", "Crossbreed", Qt.DockWidgetArea.RightDockWidgetArea)
        action = ctx.add_action("&Crossbreed…", "mixAction", ["Ctrl+M"], "Mix parents")
        action.triggered.connect(lambda: ctx.show_dock("mixPanel"))
        ctx.menu("&Tools").addAction(action)
        panel.keepRequested.connect(ctx.keep)                # "keep this image"
        return panel

``add_dock`` gives the dock its ``objectName`` (the window saves and restores docks by
it), puts it in the window, hides it until asked for, and lists it in View ▸ Panels.
An edit the person can undo goes on ``ctx.undo_stack``; a message is
``ctx.notice.show_error(text)`` or ``ctx.status.showMessage(text, ms)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QWidget

from studio.app.bridge import EngineBridge
from studio.app.controller import SessionController
from studio.gallery import Item
from studio.ui.canvas import CanvasView
from studio.ui.notice import NoticeBar
from studio.ui.status import StudioStatusBar

PANELS_MENU = "&Panels"


def _plain(title: str) -> str:
    return title.replace("&", "")


@dataclass(frozen=True)
class PanelContext:
    """The window's parts a panel may use. ``actions`` (by objectName) and ``docks``
    (in View ▸ Panels order) are shared with the window and grow as panels install."""

    window: QMainWindow
    bridge: EngineBridge
    controller: SessionController
    canvas: CanvasView
    notice: NoticeBar
    status: StudioStatusBar
    settings: QSettings
    keep: Callable[[], Item | None]
    actions: dict[str, QAction] = field(default_factory=dict)
    docks: list[QDockWidget] = field(default_factory=list)

    # ------------------------------------------------------------------ reading

    @property
    def undo_stack(self) -> QUndoStack:
        """The window's one undo stack (Ctrl+Z undoes every kind of edit in order)."""
        return self.controller.undo_stack

    def current_frame(self) -> np.ndarray | None:
        """A copy of the frame on the canvas (uint8 H×W×3), None before the first."""
        frame = self.canvas.frame
        return None if frame is None else frame.copy()

    def dark(self) -> bool:
        """Whether the dark theme is on (the ``themeToggle`` action's state)."""
        theme = self.actions.get("themeToggle")
        return theme is not None and theme.isChecked()

    def dock(self, name: str) -> QDockWidget | None:
        """The dock with objectName ``name``, if one was added."""
        return next((d for d in self.docks if d.objectName() == name), None)

    # ------------------------------------------------------------------ adding

    def add_dock(
        self,
        widget: QWidget,
        name: str,
        title: str,
        area: Qt.DockWidgetArea,
        hidden: bool = True,
        features: QDockWidget.DockWidgetFeature | None = None,
    ) -> QDockWidget:
        """Dock ``widget`` in the window as ``name`` (its objectName), hidden unless told
        otherwise, and list it in View ▸ Panels (once that menu exists)."""
        dock = QDockWidget(title, self.window)
        dock.setObjectName(name)
        if features is not None:
            dock.setFeatures(features)
        dock.setWidget(widget)
        self.window.addDockWidget(area, dock)
        if hidden:
            dock.hide()
        self.docks.append(dock)
        panels = self.panels_menu()
        if panels is not None:
            panels.addAction(dock.toggleViewAction())
        return dock

    def show_dock(self, name: str) -> None:
        """Show and raise the dock called ``name``."""
        dock = self.dock(name)
        if dock is not None:
            dock.show()
            dock.raise_()

    def add_action(self, text: str, name: str, keys: Sequence[str] = (), tip: str = "") -> QAction:
        """A window action called ``name`` with shortcuts ``keys``, kept in ``actions``.
        It is added to the window, so its shortcuts work with the menu bar hidden."""
        action = QAction(text, self.window)
        action.setObjectName(name)
        action.setShortcuts([QKeySequence(k) for k in keys])
        if tip:
            action.setToolTip(tip)
            action.setStatusTip(tip)
        self.window.addAction(action)
        self.actions[name] = action
        return action

    def find_menu(self, title: str) -> QMenu | None:
        """The menu (top level or nested) called ``title`` ("&" ignored), if there is one."""
        wanted = _plain(title)
        return next(
            (m for m in self.window.menuBar().findChildren(QMenu) if _plain(m.title()) == wanted),
            None,
        )

    def menu(self, title: str) -> QMenu:
        """The menu bar's top-level menu called ``title``, made if it is not there yet."""
        bar = self.window.menuBar()
        for action in bar.actions():
            found = action.menu()
            if isinstance(found, QMenu) and _plain(found.title()) == _plain(title):
                return found
        return bar.addMenu(title)

    def panels_menu(self) -> QMenu | None:
        """View ▸ Panels, once the window's menus are built."""
        return self.find_menu(PANELS_MENU)
