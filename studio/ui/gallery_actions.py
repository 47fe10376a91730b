"""The gallery in the window: keep, open, delete, favourite, tag, import and export.

:func:`install_gallery` fills the window's ``galleryDock`` (made through the
:class:`PanelContext` if the window has none) with a :class:`GalleryPanel` and adds the
menu items, toolbar button and shortcuts. Deleting, favouriting, tagging
and opening are steps on the window's one undo stack.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QDockWidget, QFileDialog

from studio.app.session import SessionState
from studio.app.thumbnails import ThumbnailLoader
from studio.engine.handlers import ModelInfo
from studio.gallery import Gallery, GalleryError, Item
from studio.gallery.recipes import gallery_dir, missing_model_note
from studio.imaging.decode import ImageError
from studio.models.catalog import list_models
from studio.ui.gallery_commands import GalleryEditCommand, OpenItemCommand
from studio.ui.gallery_export import GalleryExports
from studio.ui.gallery_menus import add_gallery_actions
from studio.ui.gallery_model import GalleryListModel
from studio.ui.gallery_panel import FileDrops, GalleryPanel, accept_file_drops
from studio.ui.panel_context import PanelContext
from studio.ui.persistence import read_bool

log = logging.getLogger(__name__)

# Set when the person closes the gallery dock, cleared when they open it again: a
# gallery with items opens with its dock shown, unless it was closed on purpose.
CLOSED_KEY = "gallery/closed"
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.gif *.bmp *.tif *.tiff);;All files (*)"


def plural(n: int, word: str) -> str:
    """``1 image``, ``3 images``."""
    return f"{n} {word}{'' if n == 1 else 's'}"


class GalleryActions(QObject):
    """What the gallery does for the window. Signals: ``kept(Item)``,
    ``imported(list[Item])``, ``problem(str)`` (also shown in the notice bar)."""

    kept = Signal(object)
    imported = Signal(list)
    problem = Signal(str)

    def __init__(self, ctx: PanelContext) -> None:
        super().__init__(ctx.window)
        self.context = ctx
        self.window = ctx.window
        self.controller = ctx.controller
        self.root = gallery_dir()
        self.origin: int | None = None  # the item the current branch was opened from
        # A panel whose own picture may be on the canvas (an adopted child) keeps it
        # with its own recipe: it returns the kept item, or None to keep as usual.
        self.keep_first: Callable[[], Item | None] | None = None
        self._installed: set[str] = set()
        self._notes: dict[str, str] = {}
        self._expected_sha: tuple[str, str] | None = None
        self.gallery: Gallery | None = None
        self.user_closed = read_bool(ctx.settings, CLOSED_KEY, False)
        self.loader = ThumbnailLoader(self.root, self)
        self.model = GalleryListModel(self.loader, self.note_for, self)
        self.panel = GalleryPanel(self.model)
        self.exports = GalleryExports(self, ctx, self)
        self.dock = self._dock()
        self.actions = add_gallery_actions(ctx, self.panel.view)
        self.canvas_drops = FileDrops(self)
        accept_file_drops(ctx.canvas.viewport(), self.canvas_drops)
        self._open_gallery()
        self._connect()
        self.rescan_models()
        self.refresh()
        self.loader.start()

    # ------------------------------------------------------------------ building

    def _dock(self) -> QDockWidget:
        dock = self.context.dock("galleryDock")
        if dock is None:  # the window no longer makes the place: make it here
            area = Qt.DockWidgetArea.BottomDockWidgetArea
            return self.context.add_dock(self.panel, "galleryDock", "Gallery", area)
        dock.setWidget(self.panel)
        return dock

    def _open_gallery(self) -> None:
        try:
            self.gallery = Gallery(self.root)
        except GalleryError as exc:
            self.gallery = None
            self.panel.show_message(f"The gallery cannot be used: {exc}")
            for button in (self.panel.keep_button, self.panel.export_button):
                button.setEnabled(False)

    def _connect(self) -> None:
        p, a = self.panel, self.actions
        a["keepAction"].triggered.connect(self.keep)
        a["importAction"].triggered.connect(self.import_dialog)
        a["exportAction"].triggered.connect(self.exports.export_dialog)
        a["exportSheetAction"].triggered.connect(lambda: self.exports.export_sheet())
        a["exportMorphAction"].triggered.connect(self.exports.morph_dialog)
        a["galleryDeleteAction"].triggered.connect(lambda: self.delete())
        p.keep_button.clicked.connect(self.keep)
        p.export_button.clicked.connect(self.exports.export_dialog)
        p.delete_button.clicked.connect(lambda: self.delete())
        p.favourite_button.clicked.connect(lambda: self.toggle_favourite())
        p.tag_button.clicked.connect(lambda: self.add_tag(p.tag_edit.text()))
        p.openRequested.connect(self.open_item)
        p.filtersChanged.connect(self.refresh)
        p.filesDropped.connect(self.import_files)
        self.canvas_drops.dropped.connect(self._dropped_on_canvas)
        self.loader.failed.connect(p.show_message)
        self.controller.modelReady.connect(self._model_ready)
        self.dock.dockLocationChanged.connect(self._docked)
        self.dock.visibilityChanged.connect(self._visibility)
        self.dock.toggleViewAction().triggered.connect(
            lambda checked: self._set_closed(False) if checked else None
        )
        self.dock.installEventFilter(self)
        self.window.installEventFilter(self)

    # ------------------------------------------------------------------ public

    def note_for(self, model: str) -> str:
        """Why images of ``model`` cannot be opened here ("" when they can)."""
        if not model or model in self._installed:
            return ""
        if model not in self._notes:
            self._notes[model] = missing_model_note({"model": model})
        return self._notes[model]

    def rescan_models(self) -> None:
        """Re-read which models are installed (for the "Needs the model" notes)."""
        installed = {e.name for e in list_models() if not e.error}
        self._notes.clear()
        if installed != self._installed:
            self._installed = installed
            self.model.reload()  # the "Needs the model" notes may have changed

    def refresh(self) -> None:
        """Show the items matching the filters, and the filters' current choices."""
        if self.gallery is None:
            return
        try:
            ids = self.gallery.ids(**self.panel.filters())
            self.panel.set_choices(self.gallery.models(), self.gallery.tags())
        except sqlite3.Error as exc:
            self.report(f"The gallery cannot be read: {exc}.")
            return
        self.model.set_ids(ids)

    def show_at_start(self) -> None:
        """Show the dock when the gallery has items, unless the person closed it."""
        if self.gallery is None or self.user_closed:
            return
        try:
            empty = self.gallery.count() == 0
        except sqlite3.Error:
            return
        if not empty:
            self.dock.show()

    def report(self, text: str) -> None:
        """Say what went wrong, above the canvas and in the status bar."""
        log.warning("%s", text)
        self.context.notice.show_error(text)
        self.context.status.showMessage(text.splitlines()[0], 10000)
        self.problem.emit(text)

    def keep(self) -> Item | None:
        """Keep the image on the canvas with its full recipe; its thumbnail shows first."""
        if self.keep_first is not None and self.gallery is not None:
            kept = self.keep_first()
            if kept is not None:
                return kept
        frame, shown = self.context.current_frame(), self.controller.shown_state
        if self.gallery is None:
            self.report("The gallery cannot be used, so nothing can be kept.")
            return None
        if frame is None or shown is None:
            self.report("There is no image to keep yet.")
            return None
        info = self.controller.model_info
        sha = info.sha256 if info is not None and info.name == shown.model else ""
        recipe = {**shown.to_request().to_dict(), "model_sha256": sha}
        parents = [self.origin] if self.origin is not None else []
        try:
            item = self.gallery.keep(
                frame, recipe, model=shown.model, model_sha256=sha, parents=parents
            )
        except GalleryError as exc:
            self.report(str(exc))
            return None
        self._show_new([item])
        self.context.status.showMessage(f"Kept image #{item.id}", 4000)
        self.kept.emit(item)
        return item

    def open_item(self, item_id: int) -> bool:
        """Continue from a kept image: its whole state, as one undo step."""
        if self.gallery is None:
            return False
        try:
            item = self.gallery.get(item_id)
        except KeyError:
            self.report("That image is no longer in the gallery.")
            return False
        name = item.title or f"Image #{item.id}"
        if not item.recipe or not item.model:
            self.report(f"{name} has no recipe (a plain imported picture), so it cannot be opened.")
            return False
        note = self.note_for(item.model)
        if note:
            self.report(f"{name}: {note}")
            return False
        try:
            state = SessionState.from_dict(item.recipe)
        except ValueError as exc:
            self.report(f"The recipe of {name} cannot be opened: {exc}.")
            return False
        self._expected_sha = (item.model, item.model_sha256) if item.model_sha256 else None
        before = self.controller.committed
        if state == before and self.controller.state == before:
            self.origin = item_id
        else:
            self.controller.undo_stack.push(
                OpenItemCommand(
                    self.controller,
                    before,
                    state,
                    self._set_origin,
                    (self.origin, item_id),
                    f"Open image #{item_id}",
                )
            )
        if self.controller.model_info is not None:
            self._model_ready(self.controller.model_info)
        return True

    def delete(self, ids: Sequence[int] | None = None) -> None:
        """Delete items (the selection by default); Ctrl+Z brings them back."""
        ids = list(ids if ids is not None else self.panel.selected_ids())
        if not ids or self.gallery is None:
            return
        gallery = self.gallery

        def do() -> None:
            gallery.delete(ids)
            self.refresh()

        def undo() -> None:
            gallery.restore(ids)
            self.refresh()
            self.panel.select_ids(ids)

        self._edit(f"Delete {plural(len(ids), 'image')}", do, undo)

    def toggle_favourite(self, ids: Sequence[int] | None = None) -> None:
        """Mark the items favourite (or, if all already are, unmark them)."""
        ids = list(ids if ids is not None else self.panel.selected_ids())
        if not ids or self.gallery is None:
            return
        gallery = self.gallery
        try:
            before = {i: gallery.get(i).favourite for i in ids}
        except KeyError:
            return
        value = not all(before.values())

        def set_all(values: dict[int, bool]) -> None:
            for item_id, fav in values.items():
                gallery.set_favourite(item_id, fav)
            self.refresh()
            self.model.refresh_items(list(values))

        word = "Favourite" if value else "Unfavourite"
        self._edit(
            f"{word} {plural(len(ids), 'image')}",
            lambda: set_all(dict.fromkeys(ids, value)),
            lambda: set_all(before),
        )

    def add_tag(self, tag: str, ids: Sequence[int] | None = None) -> None:
        """Tag the items (the selection by default)."""
        tag = tag.strip()
        ids = list(ids if ids is not None else self.panel.selected_ids())
        if not tag or not ids or self.gallery is None:
            return
        gallery = self.gallery
        try:
            new = [i for i in ids if tag not in gallery.get(i).tags]
        except KeyError:
            return

        def change(add: bool) -> None:
            for item_id in new:
                (gallery.add_tag if add else gallery.remove_tag)(item_id, tag)
            self.refresh()
            self.model.refresh_items(new)

        if new and self._edit(
            f"Tag {plural(len(new), 'image')} “{tag}”", lambda: change(True), lambda: change(False)
        ):
            self.panel.tag_edit.clear()

    def import_files(self, paths: Sequence[Path | str]) -> list[Item]:
        """Add image files; each bad one gets one line saying why, and adds nothing."""
        if self.gallery is None:
            self.report("The gallery cannot be used, so nothing can be imported.")
            return []
        items: list[Item] = []
        problems: list[str] = []
        for raw in paths:
            path = Path(raw)
            try:
                items.append(self.gallery.import_file(path))
            except (ImageError, GalleryError) as exc:
                problems.append(f"{path.name}: {exc}")
        if items:
            self._show_new(items)
            self.context.status.showMessage(f"Imported {plural(len(items), 'image')}", 4000)
        if problems:
            self.report(
                f"Could not import {len(problems)} of {plural(len(paths), 'file')}:\n"
                + "\n".join(problems)
            )
        self.imported.emit(items)
        return items

    def import_dialog(self) -> None:
        """File ▸ Import images…"""
        names, _ = QFileDialog.getOpenFileNames(self.window, "Import images", "", IMAGE_FILTER)
        if names:
            self.import_files(names)

    def shutdown(self) -> None:
        """Stop the thumbnail thread and close the gallery (the window is closing)."""
        self.loader.stop()
        if self.gallery is not None:
            self.gallery.close()
            self.gallery = None

    # ------------------------------------------------------------------ internals

    def _edit(self, text: str, do: Callable[[], None], undo: Callable[[], None]) -> bool:
        """Make a gallery change now; if it worked, record it as one undo step."""
        try:
            do()
        except GalleryError as exc:
            self.report(str(exc))
            return False
        self.controller.undo_stack.push(GalleryEditCommand(text, do, undo, self.report))
        return True

    def _set_origin(self, origin: int | None) -> None:
        self.origin = origin

    def _show_new(self, items: Sequence[Item]) -> None:
        """New items at the top, thumbnails at once, selected; the dock shown."""
        assert self.gallery is not None
        if any(self.panel.filters().values()):
            self.refresh()
            if any(self.model.row_of(i.id) < 0 for i in items):  # hidden by a filter
                self.panel.clear_filters()
                self.refresh()
        else:  # the common case, cheap even for 10,000 items: newest go on top
            self.model.prepend([i.id for i in reversed(items)])
            models, tags = self.panel.choices()
            self.panel.set_choices(sorted({*models, *(i.model for i in items if i.model)}), tags)
        for item in items[-self.model.cache_size :]:
            image = QImage.fromData(self.gallery.thumbnail(item.id))
            self.model.put(item.id, image, item)
        self._set_closed(False)
        self.dock.show()
        self.dock.raise_()
        self.panel.select_ids([i.id for i in reversed(items)])

    def _dropped_on_canvas(self, paths: list[Path]) -> None:
        items = self.import_files(paths)
        if len(paths) == 1 and len(items) == 1 and items[0].recipe and items[0].model:
            self.open_item(items[0].id)

    def _model_ready(self, info: ModelInfo) -> None:
        expected = self._expected_sha
        if expected is None or expected[0] != info.name:
            return
        self._expected_sha = None
        if expected[1] != info.sha256:
            self.report(
                f"This image was made with another version of {info.name}; "
                "the pixels may differ from the kept ones."
            )

    def _visibility(self, shown: bool) -> None:
        if shown:
            self.rescan_models()

    def _docked(self, area: Qt.DockWidgetArea) -> None:
        wide = area in (Qt.DockWidgetArea.BottomDockWidgetArea, Qt.DockWidgetArea.TopDockWidgetArea)
        self.panel.set_wide(wide)

    def _set_closed(self, closed: bool) -> None:
        if closed != self.user_closed:
            self.user_closed = closed
            self.context.settings.setValue(CLOSED_KEY, closed)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Stop the thumbnail thread when the window closes; remember that the person
        closed the dock (its close button and the Panels menu both close it)."""
        if watched is self.window and event.type() == QEvent.Type.Close:
            self.shutdown()
        elif watched is self.dock and event.type() == QEvent.Type.Close:
            self._set_closed(True)
        return False


def install_gallery(ctx: PanelContext) -> GalleryActions:
    """Put the gallery in the window (its ``galleryDock``, File menu and toolbar)."""
    return GalleryActions(ctx)
