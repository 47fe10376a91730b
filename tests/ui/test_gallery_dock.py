"""The gallery dock opens when the gallery has items, unless the person closed it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QDockWidget
from pytestqt.qtbot import QtBot

from studio.gallery import Gallery
from studio.gallery.recipes import gallery_dir

from .helpers import gallery_of, open_window


def _add_item_behind_the_window() -> None:
    """An item kept by another program (e.g. ``latent-studio generate --keep``)."""
    gallery = Gallery(gallery_dir())
    try:
        image = np.full((32, 32, 3), 128, np.uint8)
        gallery.keep(image, {"model": "tiny-gan", "seed": 5}, model="tiny-gan")
    finally:
        gallery.close()


def _dock(window) -> QDockWidget:
    dock = window.findChild(QDockWidget, "galleryDock")
    assert dock is not None
    return dock


def test_an_empty_gallery_starts_hidden_and_one_with_items_shown(
    qtbot: QtBot, model_dir: Path
) -> None:
    first = open_window(qtbot)
    assert _dock(first).isHidden()  # nothing to show yet
    first.close()  # its saved layout has the dock hidden

    _add_item_behind_the_window()
    second = open_window(qtbot)
    assert not _dock(second).isHidden()
    second.close()


def test_a_dock_the_person_closed_stays_closed(qtbot: QtBot, model_dir: Path) -> None:
    first = open_window(qtbot)
    gallery_of(first).keep()
    dock = _dock(first)
    assert not dock.isHidden()
    dock.close()  # what its close button does
    assert dock.isHidden()
    first.close()

    second = open_window(qtbot)
    assert _dock(second).isHidden()
    # Opening it again from the Panels menu clears that: it is back on the next start.
    _dock(second).toggleViewAction().trigger()
    assert not _dock(second).isHidden()
    second.close()

    third = open_window(qtbot)
    assert not _dock(third).isHidden()
    third.close()


def test_keeping_an_image_reopens_a_closed_dock(qtbot: QtBot, model_dir: Path) -> None:
    window = open_window(qtbot)
    gallery_of(window).keep()
    _dock(window).close()
    gallery_of(window).keep()
    assert not _dock(window).isHidden()
    window.close()
    again = open_window(qtbot)
    assert not _dock(again).isHidden()
    again.close()
