"""Dark (default) and light themes from qdarkstyle, plus a few studio touches."""

from __future__ import annotations

from functools import lru_cache

import qdarkstyle
from PySide6.QtWidgets import QWidget

EXTRA = """
#noticeBar { background-color: %(notice_bg)s; border: 1px solid %(notice_border)s;
             border-radius: 4px; }
#noticeBar QLabel { color: %(notice_fg)s; background: transparent; border: none; }
#modelInfo, #layerTotal { color: %(muted)s; }
#statusFrameMs, #statusDevice { padding: 0 8px; }
"""

COLOURS = {
    True: {
        "notice_bg": "#4a1f24",
        "notice_border": "#8c3a42",
        "notice_fg": "#ffd7da",
        "muted": "#9da9b5",
        "canvas": "#1b1e23",
    },
    False: {
        "notice_bg": "#fde2e4",
        "notice_border": "#e3a1a8",
        "notice_fg": "#5c1219",
        "muted": "#54687a",
        "canvas": "#dfe3e8",
    },
}


@lru_cache(maxsize=2)
def stylesheet(dark: bool) -> str:
    """The full stylesheet for the dark or light theme."""
    palette = qdarkstyle.DarkPalette if dark else qdarkstyle.LightPalette
    base = qdarkstyle.load_stylesheet(qt_api="pyside6", palette=palette)
    return base + EXTRA % COLOURS[dark]


def canvas_colour(dark: bool) -> str:
    """The background behind the image."""
    return COLOURS[dark]["canvas"]


def apply_theme(widget: QWidget, dark: bool) -> None:
    """Style ``widget`` and its children."""
    widget.setStyleSheet(stylesheet(dark))
