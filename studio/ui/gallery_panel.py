"""The gallery panel: filters, the thumbnail grid (``galleryView``) and its buttons.

Only widgets live here; what the buttons do is :mod:`studio.ui.gallery_actions`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QItemSelectionModel, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QBoxLayout,
    QComboBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.gallery.store import THUMB_SIZE
from studio.ui.gallery_model import ID_ROLE, GalleryListModel
from studio.ui.naming import named

GRID = QSize(THUMB_SIZE + 18, THUMB_SIZE + 42)  # room for a two-line caption
SEARCH_DELAY_MS = 200
SIDE_WIDTH = 250


def local_files(event: QDropEvent | QDragEnterEvent | QDragMoveEvent) -> list[Path]:
    """The local files a drag carries (folders and remote URLs are left out)."""
    mime = event.mimeData()
    if mime is None or not mime.hasUrls():
        return []
    return [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]


class FileDrops(QObject):
    """An event filter that takes files dropped on a widget: ``dropped(list[Path])``."""

    dropped = Signal(list)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Accept drags carrying local files; hand the files of a drop over."""
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove) and isinstance(
            event, (QDragEnterEvent, QDragMoveEvent)
        ):
            if local_files(event):
                event.acceptProposedAction()
                return True
            return False
        if kind == QEvent.Type.Drop and isinstance(event, QDropEvent):
            files = local_files(event)
            if files:
                event.acceptProposedAction()
                self.dropped.emit(files)
                return True
        return False


def accept_file_drops(widget: QWidget, drops: FileDrops) -> None:
    """Let ``widget`` (a scroll area's viewport, or any widget) take dropped files."""
    widget.setAcceptDrops(True)
    widget.installEventFilter(drops)


class GalleryPanel(QWidget):
    """Filters, grid and buttons for a :class:`GalleryListModel`.

    Signals: ``openRequested(int)`` (double-click or Enter on an item),
    ``filtersChanged()``, ``filesDropped(list[Path])``.
    """

    openRequested = Signal(int)
    filtersChanged = Signal()
    filesDropped = Signal(list)

    def __init__(self, model: GalleryListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("galleryPanel")
        self.model = model
        self.view = self._make_view(model)
        self.model_filter = named(QComboBox(), "galleryModelFilter")
        self.model_filter.setToolTip("Show the images of one model")
        self.tag_filter = named(QComboBox(), "galleryTagFilter")
        self.tag_filter.setToolTip("Show the images with one tag")
        for combo in (self.model_filter, self.tag_filter):
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(8)
        self.favourites_filter = named(QToolButton(), "galleryFavouritesFilter")
        self.favourites_filter.setText("★ only")
        self.favourites_filter.setCheckable(True)
        self.favourites_filter.setToolTip("Show favourites only")
        self.search = named(QLineEdit(), "gallerySearch")
        self.search.setPlaceholderText("Search model, seed, tag, name…")
        self.search.setClearButtonEnabled(True)

        self.keep_button = named(QPushButton("Keep"), "keepButton")
        self.keep_button.setToolTip("Keep the image on the canvas with its recipe (Ctrl+K)")
        self.open_button = named(QPushButton("Open"), "galleryOpenButton")
        self.open_button.setToolTip("Continue from the selected image (double-click, Enter)")
        self.favourite_button = named(QPushButton("★"), "galleryFavouriteButton")
        self.favourite_button.setToolTip("Mark or unmark the selection as favourite")
        self.delete_button = named(QPushButton("Delete"), "galleryDeleteButton")
        self.delete_button.setToolTip("Delete the selection (Delete; Ctrl+Z brings it back)")
        self.tag_edit = named(QLineEdit(), "galleryTagEdit")
        self.tag_edit.setPlaceholderText("tag")
        self.tag_button = named(QPushButton("Add tag"), "galleryTagButton")
        self.export_button = named(QPushButton("Export…"), "galleryExportButton")
        self.export_button.setToolTip("Export the selection, or the canvas (Ctrl+E)")
        self.count_label = named(QLabel(""), "galleryCount")
        self.message = named(QLabel(""), "galleryMessage")
        self.message.setWordWrap(True)
        self.message.hide()

        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self.drops = FileDrops(self)
        accept_file_drops(self.view.viewport(), self.drops)
        self._build()
        self._connect()
        self.set_choices([], [])
        self._selection_changed()

    # ------------------------------------------------------------------ building

    def _make_view(self, model: GalleryListModel) -> QListView:
        view = named(QListView(), "galleryView")
        view.setViewMode(QListView.ViewMode.IconMode)
        view.setMovement(QListView.Movement.Static)
        view.setResizeMode(QListView.ResizeMode.Adjust)
        view.setUniformItemSizes(True)
        view.setLayoutMode(QListView.LayoutMode.Batched)
        view.setBatchSize(500)
        view.setIconSize(QSize(THUMB_SIZE, THUMB_SIZE))
        view.setGridSize(GRID)
        view.setWordWrap(True)  # "needs some-long-model-name" on two lines
        view.setTextElideMode(Qt.TextElideMode.ElideRight)
        view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.setDragEnabled(False)
        view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        view.verticalScrollBar().setSingleStep(GRID.height() // 3)
        view.setModel(model)
        view.setMinimumSize(GRID.width() + 24, GRID.height() + 8)
        return view

    def _build(self) -> None:
        self.side = named(QWidget(), "gallerySide")
        side = QGridLayout(self.side)
        side.setContentsMargins(0, 0, 0, 0)
        side.setVerticalSpacing(4)
        side.addWidget(self.keep_button, 0, 0, 1, 3)
        side.addWidget(self.search, 1, 0, 1, 3)
        side.addWidget(self.model_filter, 2, 0, 1, 3)
        side.addWidget(self.tag_filter, 3, 0, 1, 2)
        side.addWidget(self.favourites_filter, 3, 2)
        side.addWidget(self.open_button, 4, 0)
        side.addWidget(self.favourite_button, 4, 1)
        side.addWidget(self.delete_button, 4, 2)
        side.addWidget(self.tag_edit, 5, 0, 1, 2)
        side.addWidget(self.tag_button, 5, 2)
        side.addWidget(self.export_button, 6, 0, 1, 3)
        side.addWidget(self.count_label, 7, 0, 1, 3)
        side.setRowStretch(8, 1)
        self.box = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.box.setContentsMargins(6, 6, 6, 6)
        self.box.addWidget(self.side)
        column = QVBoxLayout()
        column.addWidget(self.message)
        column.addWidget(self.view, 1)
        self.box.addLayout(column, 1)
        self.setLayout(self.box)
        self.set_wide(True)

    def _connect(self) -> None:
        self.view.activated.connect(self._activated)
        self.open_button.clicked.connect(self._open_current)
        self.model_filter.currentIndexChanged.connect(lambda _i: self.filtersChanged.emit())
        self.tag_filter.currentIndexChanged.connect(lambda _i: self.filtersChanged.emit())
        self.favourites_filter.toggled.connect(lambda _on: self.filtersChanged.emit())
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self._search_timer.timeout.connect(self.filtersChanged.emit)
        self.drops.dropped.connect(self.filesDropped.emit)
        self.tag_edit.returnPressed.connect(self.tag_button.click)
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)
        self.model.modelReset.connect(self._selection_changed)
        self.model.rowsInserted.connect(self._count_changed)
        self.model.rowsRemoved.connect(self._count_changed)
        self.model.modelReset.connect(self._count_changed)

    # ------------------------------------------------------------------ public

    def set_wide(self, wide: bool) -> None:
        """Side column beside the grid (a bottom dock) or above it (a side dock)."""
        if wide:
            self.box.setDirection(QBoxLayout.Direction.LeftToRight)
            self.side.setFixedWidth(SIDE_WIDTH)
        else:
            self.box.setDirection(QBoxLayout.Direction.TopToBottom)
            self.side.setMinimumWidth(0)
            self.side.setMaximumWidth(16_777_215)

    def filters(self) -> dict[str, Any]:
        """The filters as :meth:`Gallery.ids` keywords."""
        return {
            "model": self.model_filter.currentData() or None,
            "favourites": self.favourites_filter.isChecked(),
            "tag": self.tag_filter.currentData() or None,
            "text": self.search.text().strip() or None,
        }

    def clear_filters(self) -> None:
        """Show everything again (without signals: the caller refreshes)."""
        for widget in (self.model_filter, self.tag_filter, self.favourites_filter, self.search):
            widget.blockSignals(True)
        self.model_filter.setCurrentIndex(0)
        self.tag_filter.setCurrentIndex(0)
        self.favourites_filter.setChecked(False)
        self.search.clear()
        for widget in (self.model_filter, self.tag_filter, self.favourites_filter, self.search):
            widget.blockSignals(False)
        self._search_timer.stop()

    def set_choices(self, models: list[str], tags: list[str]) -> None:
        """Fill the model and tag filters, keeping what is picked (without signals)."""
        for combo, everything, values in (
            (self.model_filter, "All models", models),
            (self.tag_filter, "All tags", tags),
        ):
            picked = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(everything, "")
            for value in values:
                combo.addItem(value, value)
            index = combo.findData(picked) if picked else 0
            if index < 0:  # what was picked is gone (e.g. its last item deleted)
                combo.addItem(str(picked), picked)
                index = combo.count() - 1
            combo.setCurrentIndex(index)
            combo.blockSignals(False)

    def choices(self) -> tuple[list[str], list[str]]:
        """The models and tags the filters offer."""
        models, tags = self.model_filter, self.tag_filter
        return (
            [str(models.itemData(i)) for i in range(1, models.count())],
            [str(tags.itemData(i)) for i in range(1, tags.count())],
        )

    def selected_ids(self) -> list[int]:
        """The selected items' ids, in grid order."""
        rows = sorted(i.row() for i in self.view.selectionModel().selectedIndexes())
        return [int(self.model.index(r).data(ID_ROLE)) for r in rows]

    def select_ids(self, ids: list[int]) -> None:
        """Select exactly these items (those shown), the first one current."""
        selection = self.view.selectionModel()
        selection.clearSelection()
        flags = QItemSelectionModel.SelectionFlag.Select
        first = True
        for item_id in ids:
            row = self.model.row_of(item_id)
            if row < 0:
                continue
            index = self.model.index(row)
            if first:
                selection.setCurrentIndex(index, flags)
                self.view.scrollTo(index)
                first = False
            else:
                selection.select(index, flags)

    def show_message(self, text: str) -> None:
        """A lasting note above the grid (e.g. the gallery cannot be opened)."""
        self.message.setText(text)
        self.message.setVisible(bool(text))

    # ------------------------------------------------------------------ events

    def _activated(self, index: Any) -> None:
        if index.isValid():
            self.openRequested.emit(int(index.data(ID_ROLE)))

    def _open_current(self) -> None:
        ids = self.selected_ids()
        if ids:
            self.openRequested.emit(ids[0])

    def _selection_changed(self, *_args: object) -> None:
        count = len(self.view.selectionModel().selectedIndexes())
        for button in (self.favourite_button, self.delete_button, self.tag_button):
            button.setEnabled(count > 0)
        self.open_button.setEnabled(count == 1)
        self._count_changed()

    def _count_changed(self, *_args: object) -> None:
        total = self.model.rowCount()
        chosen = len(self.view.selectionModel().selectedIndexes())
        text = f"{total} image{'s' if total != 1 else ''}"
        self.count_label.setText(f"{text}, {chosen} selected" if chosen else text)
