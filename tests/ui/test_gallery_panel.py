"""The gallery dock: keep, open, filters, delete and undo, lineage, imports, missing models."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QListView, QPushButton, QSlider, QSpinBox
from pytestqt.qtbot import QtBot

from studio.gallery import Gallery
from studio.gallery.recipes import gallery_dir
from studio.imaging.metadata import save_image
from studio.ui.gallery_actions import GalleryActions
from studio.ui.gallery_model import LOADED_ROLE, NOTE_ROLE
from studio.ui.window import MainWindow

from .helpers import gallery_of, keep_two, wait_for_frame


def shown_ids(actions: GalleryActions) -> list[int]:
    return actions.model.ids


def wait_loaded(qtbot: QtBot, actions: GalleryActions, row: int) -> QModelIndex:
    index = actions.model.index(row)
    actions.model.data(index, Qt.ItemDataRole.DecorationRole)  # as a paint would ask
    qtbot.waitUntil(lambda: actions.model.data(index, LOADED_ROLE), timeout=5000)
    return index


def test_keep_shows_the_thumbnail_and_open_restores_state_and_pixels(
    qtbot: QtBot, window: MainWindow
) -> None:
    actions = gallery_of(window)
    view = window.findChild(QListView, "galleryView")
    assert view is not None and view.viewMode() == QListView.ViewMode.IconMode
    assert view.uniformItemSizes()
    window.findChild(QSpinBox, "seedSpin").setValue(11)
    window.findChild(QSlider, "latentSlider0").setValue(150)
    window.findChild(QSlider, "truncationSlider").setValue(80)
    kept_frame = wait_for_frame(qtbot, window)
    kept_state = window.state
    assert window.gallery.dock.isHidden()

    window.findChild(QPushButton, "keepButton").click()
    assert window.gallery.dock.isVisible()  # the first keep shows the gallery
    item_id = shown_ids(actions)[0]
    index = actions.model.index(0)
    assert actions.model.data(index, LOADED_ROLE)  # at once, not after a round trip
    assert actions.model.data(index, Qt.ItemDataRole.DisplayRole) == "seed 11"
    assert actions.panel.selected_ids() == [item_id]
    item = actions.gallery.get(item_id)
    assert item.model == "tiny-gan" and item.recipe is not None
    assert item.recipe["seed"] == 11 and item.recipe["edits"][0] == 1.5
    assert len(item.recipe["model_sha256"]) == 64 == len(item.model_sha256)
    assert np.array_equal(actions.gallery.image(item_id), kept_frame)

    window.findChild(QSpinBox, "seedSpin").setValue(99)
    window.findChild(QSlider, "latentSlider0").setValue(0)
    assert not np.array_equal(wait_for_frame(qtbot, window), kept_frame)
    steps = window.controller.undo_stack.count()
    window.activateWindow()
    view.setFocus()
    qtbot.waitUntil(view.hasFocus)
    view.setCurrentIndex(index)
    qtbot.keyClick(view, Qt.Key.Key_Return)  # as a double-click does
    assert window.state == kept_state
    assert window.controller.undo_stack.count() == steps + 1  # one undo step
    assert np.array_equal(wait_for_frame(qtbot, window), kept_frame)
    assert window.findChild(QSpinBox, "seedSpin").value() == 11
    window.actions_by_name["undoAction"].trigger()
    assert window.state.seed == 99


def test_ctrl_k_keeps_and_the_toolbar_has_keep(qtbot: QtBot, window: MainWindow) -> None:
    keep = window.actions_by_name["keepAction"]
    assert keep.shortcut().toString() == "Ctrl+K"
    assert window.actions_by_name["importAction"].shortcut().toString() == "Ctrl+I"
    assert window.actions_by_name["exportAction"].shortcut().toString() == "Ctrl+E"
    assert window.findChild(QPushButton, "keepButton") is not None
    file_menu = window.menuBar().actions()[0].menu()
    names = [a.objectName() for a in file_menu.actions()]
    for name in ("keepAction", "importAction", "exportAction", "exportSheetAction"):
        assert name in names
    assert names.index("exportMorphAction") < names.index("quitAction")
    window.activateWindow()
    qtbot.keyClick(window.canvas, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert gallery_of(window).gallery.count() == 1


def test_filters_by_model_favourite_tag_and_text(qtbot: QtBot, window: MainWindow) -> None:
    actions = gallery_of(window)
    first, second = keep_two(qtbot, window, 5)
    other = actions.gallery.keep(
        np.zeros((8, 8, 3), np.uint8), {"seed": 3}, model="tiny-vae", title="blue dog"
    )
    actions.refresh()
    panel = actions.panel
    assert shown_ids(actions) == [other.id, second.id, first.id]

    panel.model_filter.setCurrentIndex(panel.model_filter.findData("tiny-gan"))
    assert shown_ids(actions) == [second.id, first.id]
    panel.model_filter.setCurrentIndex(0)

    actions.toggle_favourite([first.id])
    panel.favourites_filter.setChecked(True)
    assert shown_ids(actions) == [first.id]
    panel.favourites_filter.setChecked(False)

    actions.add_tag("cats", [second.id, other.id])
    assert panel.tag_filter.findData("cats") > 0
    panel.tag_filter.setCurrentIndex(panel.tag_filter.findData("cats"))
    assert shown_ids(actions) == [other.id, second.id]
    panel.tag_filter.setCurrentIndex(0)

    panel.search.setText("dog")
    qtbot.waitUntil(lambda: shown_ids(actions) == [other.id])
    panel.search.clear()
    qtbot.waitUntil(lambda: len(shown_ids(actions)) == 3)
    index = wait_loaded(qtbot, actions, actions.model.row_of(first.id))
    assert actions.model.data(index, Qt.ItemDataRole.DisplayRole).startswith("★")
    window.actions_by_name["undoAction"].trigger()  # the tag
    window.actions_by_name["undoAction"].trigger()  # the favourite
    assert actions.gallery.tags() == [] and not actions.gallery.get(first.id).favourite


def test_delete_key_and_undo(qtbot: QtBot, window: MainWindow) -> None:
    actions = gallery_of(window)
    kept = [
        actions.gallery.keep(np.full((8, 8, 3), i, np.uint8), {"seed": i}, "tiny-gan")
        for i in range(4)
    ]
    actions.refresh()
    actions.dock.show()
    view = actions.panel.view
    actions.panel.select_ids([kept[1].id, kept[2].id])
    window.activateWindow()
    view.setFocus()
    qtbot.waitUntil(view.hasFocus)
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert shown_ids(actions) == [kept[3].id, kept[0].id]
    assert actions.gallery.count() == 2
    assert window.actions_by_name["undoAction"].text() == "&Undo Delete 2 images"
    qtbot.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert shown_ids(actions) == [k.id for k in reversed(kept)]
    assert sorted(actions.panel.selected_ids()) == [kept[1].id, kept[2].id]
    window.actions_by_name["redoAction"].trigger()
    assert actions.gallery.count() == 2


def test_lineage_after_branching(qtbot: QtBot, window: MainWindow) -> None:
    actions = gallery_of(window)
    root = actions.keep()
    assert root is not None and root.parents == []
    window.findChild(QSpinBox, "seedSpin").setValue(3)
    wait_for_frame(qtbot, window)
    assert actions.open_item(root.id)
    wait_for_frame(qtbot, window)
    window.findChild(QSlider, "latentSlider2").setValue(-100)  # edit the opened image
    wait_for_frame(qtbot, window)
    child = actions.keep()
    assert child is not None and child.parents == [root.id]
    assert actions.gallery.get(child.id).parents == [root.id]
    index = wait_loaded(qtbot, actions, actions.model.row_of(child.id))
    assert f"#{root.id}" in actions.model.data(index, Qt.ItemDataRole.ToolTipRole)
    for _ in range(2):  # the edit, then the open: no longer a branch of root
        window.actions_by_name["undoAction"].trigger()
    assert actions.origin is None


def test_bad_imports_each_say_why_and_add_nothing(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    actions = gallery_of(window)
    (tmp_path / "zero.png").write_bytes(b"")
    (tmp_path / "notes.png").write_text("hello, not an image")
    save_image(np.zeros((64, 64, 3), np.uint8) + 90, tmp_path / "whole.png")
    (tmp_path / "cut.png").write_bytes((tmp_path / "whole.png").read_bytes()[:120])
    Image.new("L", (20_000, 1)).save(tmp_path / "huge.png")  # past the 16,384 px side limit
    bad = ["zero.png", "notes.png", "cut.png", "huge.png"]
    files = sorted(os.listdir(gallery_dir() / "images"))
    with qtbot.waitSignal(actions.problem) as problem:
        added = actions.import_files([tmp_path / n for n in bad])
    assert added == [] and actions.gallery.count() == 0
    assert sorted(os.listdir(gallery_dir() / "images")) == files
    text = problem.args[0]
    assert text.startswith("Could not import 4 of 4 files")
    lines = text.splitlines()[1:]
    assert [line.split(":")[0] for line in lines] == bad
    assert "empty" in lines[0] and "not an image" in lines[1]
    assert "corrupt" in lines[2] and "larger than allowed" in lines[3]
    assert window.notice.isVisible() and "zero.png" in window.notice.text.text()


def test_a_missing_models_item_shows_and_says_what_it_needs(
    qtbot: QtBot, window: MainWindow
) -> None:
    actions = gallery_of(window)
    picture = np.random.default_rng(0).integers(0, 255, (16, 16, 3), np.uint8)
    ghost = actions.gallery.keep(picture, {"seed": 4}, model="ghost-gan")
    actions.refresh()
    actions.dock.show()
    index = wait_loaded(qtbot, actions, actions.model.row_of(ghost.id))
    assert "Needs the model 'ghost-gan'" in actions.model.data(index, NOTE_ROLE)
    assert "ghost-gan" in actions.model.data(index, Qt.ItemDataRole.ToolTipRole)
    assert actions.model.data(index, Qt.ItemDataRole.DisplayRole) == "⚠ needs ghost-gan"
    assert not actions.model.data(index, Qt.ItemDataRole.DecorationRole).isNull()
    state = window.state
    assert not actions.open_item(ghost.id)
    assert window.state == state and "ghost-gan" in window.notice.text.text()


def test_only_visible_thumbnails_are_read(qtbot: QtBot, window: MainWindow) -> None:
    actions = gallery_of(window)
    tile = np.zeros((8, 8, 3), np.uint8)
    for i in range(150):
        actions.gallery.keep(tile + i % 200, {"seed": i}, model="tiny-gan")
    actions.refresh()
    actions.dock.show()
    view = actions.panel.view
    qtbot.waitUntil(lambda: actions.model.data(actions.model.index(0), LOADED_ROLE))
    qtbot.wait(100)
    loaded = sum(actions.model.cached(i) for i in actions.model.ids)
    assert 0 < loaded < 60
    view.scrollToBottom()
    last = actions.model.index(149)
    qtbot.waitUntil(lambda: actions.model.data(last, LOADED_ROLE), timeout=5000)


@pytest.mark.parametrize(("errno", "says"), [(30, "read-only"), (28, "disk is full")])
def test_a_read_only_or_full_disk_says_so_and_loses_nothing(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch, errno: int, says: str
) -> None:
    actions = gallery_of(window)
    first = actions.keep()
    assert first is not None

    def read_only(*args: object, **kwargs: object) -> None:
        raise OSError(errno, os.strerror(errno))

    with monkeypatch.context() as patch:  # (undo() would also undo the isolated home)
        patch.setattr(os, "replace", read_only)
        assert actions.keep() is None
    assert says in window.notice.text.text() and "Nothing already kept was lost" in (
        window.notice.text.text()
    )
    assert shown_ids(actions) == [first.id] and actions.gallery.ids() == [first.id]
    assert Gallery(gallery_dir()).get(first.id).recipe == first.recipe


def test_an_imported_recipe_with_its_own_latent_opens_exactly(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    """A recipe carrying an explicit latent (as `latent-studio generate` keeps)."""
    actions = gallery_of(window)
    seed_frame = wait_for_frame(qtbot, window)
    latent = [0.5, -1.0, 0.25, 2.0, -0.75, 0.0, 1.5, -2.0]  # tiny-gan's z has 8 numbers
    recipe = {"model": "tiny-gan", "seed": 0, "truncation": 1.0, "latent": latent}
    path = save_image(np.zeros((32, 32, 3), np.uint8), tmp_path / "made.png", recipe)
    [item] = actions.import_files([path])
    assert actions.open_item(item.id)
    assert window.state.latent == tuple(latent)
    from_latent = wait_for_frame(qtbot, window)
    assert not np.array_equal(from_latent, seed_frame)
    window.findChild(QSpinBox, "seedSpin").setValue(1)  # a new seed is that seed's image
    assert window.state.latent is None
    window.findChild(QSpinBox, "seedSpin").setValue(0)
    assert np.array_equal(wait_for_frame(qtbot, window), seed_frame)
    Image.open(path).verify()
