"""``GalleryListModel``: the gallery's ids as rows, thumbnails fetched only when painted.

The model holds nothing but the ids matching the filters (cheap even for 10,000
items). A row's thumbnail and caption arrive from the :class:`ThumbnailLoader` the
first time the view paints it, and live in a bounded LRU cache.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSize,
    Qt,
    QTimer,
)
from PySide6.QtGui import QBrush, QColor, QImage, QPixmap

from studio.app.thumbnails import ThumbnailLoader
from studio.gallery import Item
from studio.gallery.store import THUMB_SIZE

ID_ROLE = Qt.ItemDataRole.UserRole + 1
NOTE_ROLE = Qt.ItemDataRole.UserRole + 2  # "Needs the model …" or ""
LOADED_ROLE = Qt.ItemDataRole.UserRole + 3  # whether the thumbnail has arrived
SMALL_CHANGE = 256  # more rows in or out than this: reset instead of moving rows
CACHE_SIZE = 600  # thumbnails kept in memory (96 px each: about 22 MB)
WARNING = QColor(0xF0, 0xA0, 0x50)
CELL = QSize(THUMB_SIZE + 14, THUMB_SIZE + 38)  # thumbnail and a two-line caption

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class ItemSummary:
    """What a grid cell shows about an item: its caption and tooltip."""

    model: str
    seed: int | None
    favourite: bool
    tags: tuple[str, ...]
    title: str
    note: str  # why it cannot be opened here (its model is missing), or ""
    parents: tuple[int, ...] = ()

    @staticmethod
    def of(item: Item, note: str = "") -> ItemSummary:
        return ItemSummary(
            item.model,
            item.seed,
            item.favourite,
            tuple(item.tags),
            item.title,
            note,
            tuple(item.parents),
        )

    @property
    def caption(self) -> str:
        star = "★ " if self.favourite else ""
        if self.note:
            return f"{star}⚠ needs {self.model}"
        if self.seed is not None:
            return f"{star}seed {self.seed}"
        return star + (self.title or "imported")

    @property
    def tooltip(self) -> str:
        lines = [self.title] if self.title else []
        lines.append(f"Model: {self.model}" if self.model else "Imported image (no recipe model)")
        if self.seed is not None:
            lines.append(f"Seed: {self.seed}")
        if self.tags:
            lines.append("Tags: " + ", ".join(self.tags))
        if self.parents:
            lines.append("Branched from: " + ", ".join(f"#{p}" for p in self.parents))
        if self.note:
            lines.append(self.note)
        return "\n".join(lines)


def placeholder(size: int = THUMB_SIZE) -> QPixmap:
    """The grey square shown until a thumbnail arrives."""
    pix = QPixmap(size, size)
    pix.fill(QColor(0x3A, 0x3F, 0x46))
    return pix


class GalleryListModel(QAbstractListModel):
    """Rows are gallery item ids, newest first.

    ``note_for(model_name)`` says why an item's model cannot be used ("" when it can).
    """

    def __init__(
        self,
        loader: ThumbnailLoader,
        note_for: Callable[[str], str],
        parent: QObject | None = None,
        cache_size: int = CACHE_SIZE,
    ) -> None:
        super().__init__(parent)
        self.loader = loader
        self.note_for = note_for
        self.cache_size = cache_size
        self._ids: list[int] = []
        self._rows: dict[int, int] = {}
        self._cache: OrderedDict[int, tuple[QPixmap, ItemSummary]] = OrderedDict()
        self._wanted: dict[int, None] = {}
        self._placeholder = placeholder()
        self._flush = QTimer(self, singleShot=True, interval=0)
        self._flush.timeout.connect(self._ask)
        loader.loaded.connect(self.put)
        loader.missing.connect(self._gone)

    # ------------------------------------------------------------------ Qt model API

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        """How many items match the filters."""
        return 0 if parent.isValid() else len(self._ids)

    def flags(self, index: Index) -> Qt.ItemFlag:
        """Selectable and enabled (never editable, never dragged around)."""
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Thumbnail, caption, tooltip, id; an uncached thumbnail is asked for."""
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None
        item_id = self._ids[index.row()]
        if role == ID_ROLE:
            return item_id
        if role == Qt.ItemDataRole.SizeHintRole:  # the same for every cell, caption or not
            return CELL
        entry = self._cache.get(item_id)
        if entry is None and role in (
            Qt.ItemDataRole.DecorationRole,
            Qt.ItemDataRole.DisplayRole,
        ):
            self._want(item_id)
        if role == Qt.ItemDataRole.DecorationRole:
            if entry is None:
                return self._placeholder
            self._cache.move_to_end(item_id)
            return entry[0]
        if role == LOADED_ROLE:
            return entry is not None
        if entry is None:
            return "" if role == Qt.ItemDataRole.DisplayRole else None
        summary = entry[1]
        if role == Qt.ItemDataRole.DisplayRole:
            return summary.caption
        if role == Qt.ItemDataRole.ToolTipRole:
            return summary.tooltip
        if role == NOTE_ROLE:
            return summary.note
        if role == Qt.ItemDataRole.ForegroundRole and summary.note:
            return QBrush(WARNING)
        return None

    # ------------------------------------------------------------------ rows

    @property
    def ids(self) -> list[int]:
        """The ids shown, in row order (a copy)."""
        return list(self._ids)

    def row_of(self, item_id: int) -> int:
        """The row showing ``item_id``, -1 if it is filtered out."""
        return self._rows.get(item_id, -1)

    def set_ids(self, ids: Sequence[int]) -> None:
        """Show ``ids``: rows that stay keep their selection; others are removed or
        inserted in place; a wholly different list resets the model."""
        new = list(ids)
        if new == self._ids:
            return
        keep = set(new)
        stays = [i for i in self._ids if i in keep]
        changes = len(self._ids) - len(stays) + len(new) - len(stays)
        if changes > SMALL_CHANGE or stays != [i for i in new if i in self._rows]:
            self._reset(new)
            return
        row = len(self._ids) - 1
        while row >= 0:  # removals, bottom up, in runs
            if self._ids[row] in keep:
                row -= 1
                continue
            end = row
            while row > 0 and self._ids[row - 1] not in keep:
                row -= 1
            self._remove(row, end)
            row -= 1
        row = 0
        while row < len(new):  # insertions, top down, in runs
            if row < len(self._ids) and self._ids[row] == new[row]:
                row += 1
                continue
            end = row
            while end + 1 < len(new) and new[end + 1] not in self._rows:
                end += 1
            self.beginInsertRows(QModelIndex(), row, end)
            self._ids[row:row] = new[row : end + 1]
            self._reindex()
            self.endInsertRows()
            row = end + 1

    def prepend(self, ids: Sequence[int]) -> None:
        """New items (not shown yet) at the top, in this order."""
        fresh = [i for i in ids if i not in self._rows]
        if not fresh:
            return
        self.beginInsertRows(QModelIndex(), 0, len(fresh) - 1)
        self._ids[0:0] = fresh
        self._reindex()
        self.endInsertRows()

    def put(self, item_id: int, image: QImage, item: Item | None) -> None:
        """A thumbnail (and the item it belongs to) arrived: cache it, repaint its row."""
        old = self._cache.get(item_id)
        if item is not None:
            summary = ItemSummary.of(item, self.note_for(item.model))
        elif old is not None:
            summary = old[1]
        else:
            return
        pixmap = QPixmap.fromImage(image) if not image.isNull() else None
        if pixmap is None:
            if old is None:
                return
            pixmap = old[0]
        self._cache[item_id] = (pixmap, summary)
        self._cache.move_to_end(item_id)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        self._changed(item_id)

    def refresh_items(self, ids: Sequence[int]) -> None:
        """Re-read these items (their favourite or tags changed); the old picture stays."""
        self.loader.want(i for i in ids if i in self._rows)

    def reload(self) -> None:
        """Forget every cached cell (e.g. models were installed); visible ones reload."""
        self._cache.clear()
        if self._ids:
            self.dataChanged.emit(self.index(0), self.index(len(self._ids) - 1))

    def cached(self, item_id: int) -> bool:
        """Whether the item's thumbnail is in memory."""
        return item_id in self._cache

    # ------------------------------------------------------------------ internals

    def _reset(self, ids: list[int]) -> None:
        self.beginResetModel()
        self._ids = ids
        self._reindex()
        self.endResetModel()
        self.loader.forget()
        self._wanted.clear()

    def _remove(self, first: int, last: int) -> None:
        self.beginRemoveRows(QModelIndex(), first, last)
        del self._ids[first : last + 1]
        self._reindex()
        self.endRemoveRows()

    def _reindex(self) -> None:
        self._rows = {item_id: row for row, item_id in enumerate(self._ids)}

    def _want(self, item_id: int) -> None:
        self._wanted[item_id] = None
        if not self._flush.isActive():
            self._flush.start()

    def _ask(self) -> None:
        wanted, self._wanted = list(self._wanted), {}
        self.loader.want(wanted)

    def _changed(self, item_id: int) -> None:
        row = self._rows.get(item_id)
        if row is not None:
            index = self.index(row)
            self.dataChanged.emit(index, index)

    def _gone(self, item_id: int) -> None:
        self._cache.pop(item_id, None)
