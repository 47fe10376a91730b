"""A newcomer's panel, installed as panel_context.py's docstring says, works in the window."""

from __future__ import annotations

import textwrap

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDockWidget, QMenu, QWidget
from pytestqt.qtbot import QtBot

import studio.ui.panel_context as panel_context
from studio.app.bridge import EngineBridge
from studio.app.controller import SessionController
from studio.ui.window import MainWindow

from .helpers import gallery_of, wait_for_frame


class MixPanel(QWidget):
    """A stand-in for a real panel: it only asks to keep the image."""

    keepRequested = Signal()

    def __init__(self, bridge: EngineBridge, controller: SessionController) -> None:
        super().__init__()
        self.bridge, self.controller = bridge, controller


def docstring_example() -> str:
    """The code block of "Adding a panel" in panel_context's docstring."""
    doc = panel_context.__doc__ or ""
    block = doc.split("Adding a panel", 1)[1].split("::\n", 1)[1]
    lines = []
    for line in block.splitlines()[1:]:
        if line and not line.startswith("    "):
            break
        lines.append(line)
    return textwrap.dedent("\n".join(lines))


def panels_menu(window: MainWindow) -> QMenu:
    menu = next(m for m in window.menuBar().findChildren(QMenu) if m.title() == "&Panels")
    return menu


def test_the_docstring_panel_docks_lists_and_keeps(qtbot: QtBot, window: MainWindow) -> None:
    wait_for_frame(qtbot, window)
    real = window.context.dock("mixPanel")
    if real is not None:  # the real crossbreed panel: the example takes its name here
        window.context.docks.remove(real)
        real.setObjectName("realMixPanel")
    names: dict[str, object] = {"MixPanel": MixPanel}
    exec(compile(docstring_example(), "panel_context docstring", "exec"), names)
    install = names["install_mix_panel"]
    assert callable(install)
    panel = install(window.context)

    dock = window.findChild(QDockWidget, "mixPanel")
    assert isinstance(dock, QDockWidget) and dock.widget() is panel and dock.isHidden()
    assert dock in window.docks
    assert dock.toggleViewAction() in panels_menu(window).actions()
    window.actions_by_name["mixAction"].trigger()
    assert dock.isVisible()

    panel.keepRequested.emit()  # "keep this image" keeps what the canvas shows
    ids = gallery_of(window).gallery.ids()  # type: ignore[union-attr]
    assert len(ids) == 1


def test_every_dock_is_installed_through_the_context(window: MainWindow) -> None:
    ctx = window.context
    docks = window.findChildren(QDockWidget)
    assert {d.objectName() for d in docks} == {d.objectName() for d in ctx.docks}
    assert {"controlsDock", "galleryDock", "styleDock", "colorizationDock", "trainPanel"} <= {
        d.objectName() for d in docks
    }
    listed = panels_menu(window).actions()
    assert all(d.toggleViewAction() in listed for d in docks)
    assert ctx.undo_stack is window.controller.undo_stack
    assert ctx.actions is window.actions_by_name and "trainAction" in ctx.actions
    assert ctx.dark() == window.dark_theme
