"""``ThumbnailLoader``: gallery thumbnails read and decoded off the UI thread.

One worker ``QThread`` owns its own :class:`~studio.gallery.Gallery` connection (SQLite
in WAL mode lets it read while the window keeps). The view asks for the ids it is
painting; the newest asks are served first and only the last ``MAX_PENDING`` are
remembered, so a fast scroll through 10,000 items never queues work for rows long gone.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal
from PySide6.QtGui import QImage

from studio.gallery import Gallery, GalleryError

log = logging.getLogger(__name__)

MAX_PENDING = 512


class ThumbnailLoader(QThread):
    """Signals: ``loaded(int id, QImage thumbnail, Item)`` for each item read;
    ``missing(int id)`` for an id that is no longer in the gallery; ``failed(str)``
    when the gallery cannot be opened at all."""

    loaded = Signal(int, QImage, object)
    missing = Signal(int)
    failed = Signal(str)

    def __init__(self, root: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("thumbnailLoader")
        self.root = Path(root)
        self._cond = threading.Condition()
        self._pending: OrderedDict[int, None] = OrderedDict()
        self._stopping = False

    def want(self, ids: Iterable[int]) -> None:
        """Ask for these ids; the first of them is served first, before older asks."""
        with self._cond:
            for item_id in reversed(list(ids)):
                self._pending[item_id] = None
                self._pending.move_to_end(item_id)
            while len(self._pending) > MAX_PENDING:
                self._pending.popitem(last=False)
            self._cond.notify()

    def forget(self) -> None:
        """Drop every pending ask (e.g. the filter changed and other rows show)."""
        with self._cond:
            self._pending.clear()

    def pending(self) -> int:
        """How many asks wait (for tests and benchmarks)."""
        with self._cond:
            return len(self._pending)

    def stop(self, timeout_ms: int = 2000) -> bool:
        """End the thread (pending asks are dropped); True if it ended in time."""
        with self._cond:
            self._stopping = True
            self._pending.clear()
            self._cond.notify_all()
        return self.wait(timeout_ms) if self.isRunning() else True

    def run(self) -> None:
        """The worker loop: take the newest ask, read it, decode it, hand it over."""
        try:
            gallery = Gallery(self.root)
        except GalleryError as exc:
            self.failed.emit(str(exc))
            return
        try:
            while True:
                with self._cond:
                    while not self._pending and not self._stopping:
                        self._cond.wait()
                    if self._stopping:
                        return
                    item_id, _ = self._pending.popitem(last=True)
                self._load(gallery, item_id)
        finally:
            gallery.close()

    def _load(self, gallery: Gallery, item_id: int) -> None:
        try:
            item = gallery.get(item_id)
            data = gallery.thumbnail(item_id)
        except KeyError:
            self.missing.emit(item_id)
            return
        except (sqlite3.Error, OSError) as exc:
            log.warning("Could not read the thumbnail of item %d: %s", item_id, exc)
            return
        image = QImage.fromData(data)
        if image.isNull():
            log.warning("The thumbnail of item %d is damaged.", item_id)
            return
        self.loaded.emit(item_id, image, item)
