"""Gallery storage: SQLite (WAL) for items, image files beside it.

A keep writes the image and its thumbnail to a temporary file, renames it into place,
then inserts the row in one transaction. A crash at any moment leaves either no item or
a whole item: rows never point at missing files, and stray files from an interrupted
keep are swept on the next open.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import sqlite3
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from studio.imaging.decode import DecodeLimits, decode_image, load_image, read_user_file
from studio.imaging.metadata import encode_image, read_recipe

SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uid TEXT UNIQUE NOT NULL,
    created REAL NOT NULL,
    model TEXT NOT NULL DEFAULT '',
    model_sha256 TEXT NOT NULL DEFAULT '',
    recipe TEXT,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    favourite INTEGER NOT NULL DEFAULT 0,
    title TEXT NOT NULL DEFAULT '',
    file TEXT NOT NULL,
    thumb BLOB NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS tags (
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (item_id, tag)
);
CREATE TABLE IF NOT EXISTS parents (
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    parent_id INTEGER NOT NULL,
    PRIMARY KEY (item_id, parent_id)
);
CREATE INDEX IF NOT EXISTS items_model ON items(model);
CREATE INDEX IF NOT EXISTS items_created ON items(created);
"""
THUMB_SIZE = 96


class GalleryError(OSError):
    """The gallery could not do what was asked; the message is for people."""


@dataclass
class Item:
    """One kept image and its recipe."""

    id: int
    uid: str
    created: float
    model: str
    model_sha256: str
    recipe: dict[str, Any] | None
    width: int
    height: int
    favourite: bool
    title: str
    file: str
    tags: list[str] = field(default_factory=list)
    parents: list[int] = field(default_factory=list)

    @property
    def seed(self) -> int | None:
        seed = (self.recipe or {}).get("seed")
        return int(seed) if isinstance(seed, int) else None


def _disk_error(exc: OSError, doing: str) -> GalleryError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        why = "the disk is full"
    elif exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        why = "the gallery folder is read-only"
    else:
        why = exc.strerror or str(exc)
    return GalleryError(f"Could not {doing}: {why}. Nothing already kept was lost.")


def make_thumbnail(rgb: np.ndarray, size: int = THUMB_SIZE) -> bytes:
    """A PNG thumbnail, nearest-neighbour when enlarging so pixel art stays crisp."""
    img = Image.fromarray(np.ascontiguousarray(rgb[..., :3]))
    scale = size / max(img.size)
    new = (max(1, round(img.size[0] * scale)), max(1, round(img.size[1] * scale)))
    resample = Image.Resampling.NEAREST if scale >= 1 else Image.Resampling.LANCZOS
    buf = io.BytesIO()
    img.resize(new, resample).save(buf, format="PNG")
    return buf.getvalue()


class Gallery:
    """A gallery folder: ``gallery.sqlite3`` plus ``images/``."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.images = self.root / "images"
        try:
            self.images.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(
                self.root / "gallery.sqlite3", timeout=10, check_same_thread=False
            )
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.executescript(SCHEMA)
            self.db.commit()
        except sqlite3.DatabaseError as exc:
            raise GalleryError(f"The gallery database cannot be opened: {exc}.") from exc
        except OSError as exc:
            raise _disk_error(exc, "open the gallery") from exc
        self._sweep()

    def close(self) -> None:
        self.db.close()

    def _sweep(self) -> None:
        """Remove files an interrupted keep left without a row (never files with rows)."""
        known = {row[0] for row in self.db.execute("SELECT file FROM items")}
        # Only old strays: another process may be between its rename and its insert.
        cutoff = time.time() - 120
        for p in self.images.iterdir():
            if p.name in known or p.suffix not in (".tmp", ".png"):
                continue
            with contextlib.suppress(OSError):
                if p.stat().st_mtime < cutoff:
                    p.unlink()

    # ------------------------------------------------------------------ keeping

    def keep(
        self,
        image: np.ndarray,
        recipe: dict[str, Any] | None = None,
        model: str = "",
        model_sha256: str = "",
        parents: Sequence[int] = (),
        tags: Iterable[str] = (),
        title: str = "",
    ) -> Item:
        """Store an image with its recipe; returns the new item once it is durable."""
        if image.ndim != 3 or image.shape[2] < 3 or image.dtype != np.uint8:
            raise ValueError("A gallery image is a uint8 array of shape (H, W, 3).")
        uid = uuid.uuid4().hex
        name = f"{uid}.png"
        full = {**(recipe or {}), "model": model} if recipe is not None else None
        try:
            data = encode_image(image, "PNG", full)
            tmp = self.images / f"{uid}.tmp"
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.images / name)
        except OSError as exc:
            (self.images / f"{uid}.tmp").unlink(missing_ok=True)
            raise _disk_error(exc, "keep the image") from exc
        h, w = image.shape[:2]
        try:
            with self.db:
                cur = self.db.execute(
                    "INSERT INTO items (uid, created, model, model_sha256, recipe, width,"
                    " height, title, file, thumb) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (
                        uid,
                        time.time(),
                        model,
                        model_sha256,
                        json.dumps(full) if full is not None else None,
                        w,
                        h,
                        title,
                        name,
                        make_thumbnail(image),
                    ),
                )
                item_id = int(cur.lastrowid or 0)
                self.db.executemany(
                    "INSERT OR IGNORE INTO tags VALUES (?, ?)", [(item_id, t) for t in tags]
                )
                self.db.executemany(
                    "INSERT OR IGNORE INTO parents VALUES (?, ?)",
                    [(item_id, int(p)) for p in parents],
                )
        except sqlite3.OperationalError as exc:
            (self.images / name).unlink(missing_ok=True)
            raise GalleryError(
                f"Could not keep the image: {exc}. Nothing already kept was lost."
            ) from exc
        return self.get(item_id)

    def import_file(self, path: str | os.PathLike[str], limits: DecodeLimits | None = None) -> Item:
        """Add an image file from disk; a Latent Studio image brings its recipe along.

        The file is read once, safely (a regular file, within the size limit); a broken
        image raises ``ImageError`` and a broken recipe ``RecipeError`` (one of them),
        and then nothing is added.
        """
        p = Path(path)
        limits = limits or DecodeLimits()
        data = read_user_file(p, limits.max_file_bytes)
        decoded = decode_image(data, limits=limits)
        recipe = read_recipe(data)  # a dict (bounded in size and depth) or None
        model = str(recipe.get("model", "")) if recipe else ""
        sha = str(recipe.get("model_sha256", "")) if recipe else ""
        if recipe is not None:
            recipe = {k: v for k, v in recipe.items() if k != "model"}
        # A file name that is not UTF-8 (surrogate escapes) cannot go into the database.
        title = p.name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        return self.keep(decoded.rgb, recipe, model=model, model_sha256=sha, title=title)

    # ------------------------------------------------------------------ reading

    def _item(self, row: sqlite3.Row | tuple[Any, ...]) -> Item:
        (iid, uid, created, model, sha, recipe, w, h, fav, title, file) = row
        tags = [
            r[0]
            for r in self.db.execute("SELECT tag FROM tags WHERE item_id=? ORDER BY tag", (iid,))
        ]
        parents = [
            r[0]
            for r in self.db.execute(
                "SELECT parent_id FROM parents WHERE item_id=? ORDER BY parent_id", (iid,)
            )
        ]
        return Item(
            iid,
            uid,
            created,
            model,
            sha,
            json.loads(recipe) if recipe else None,
            w,
            h,
            bool(fav),
            title,
            file,
            tags,
            parents,
        )

    _COLUMNS = (
        "id, uid, created, model, model_sha256, recipe, width, height, favourite, title, file"
    )

    def get(self, item_id: int) -> Item:
        row = self.db.execute(
            f"SELECT {self._COLUMNS} FROM items WHERE id=? AND deleted=0", (item_id,)
        ).fetchone()
        if row is None:
            raise KeyError(f"No gallery item {item_id}.")
        return self._item(row)

    def _where(
        self, model: str | None, favourites: bool, tag: str | None, text: str | None
    ) -> tuple[str, list[Any]]:
        clauses, args = ["deleted=0"], []
        if model:
            clauses.append("model=?")
            args.append(model)
        if favourites:
            clauses.append("favourite=1")
        if tag:
            clauses.append("id IN (SELECT item_id FROM tags WHERE tag=?)")
            args.append(tag)
        if text:
            like = f"%{text}%"
            clauses.append(
                "(title LIKE ? OR model LIKE ? OR recipe LIKE ? OR "
                "id IN (SELECT item_id FROM tags WHERE tag LIKE ?))"
            )
            args += [like, like, like, like]
        return " AND ".join(clauses), args

    def ids(
        self,
        model: str | None = None,
        favourites: bool = False,
        tag: str | None = None,
        text: str | None = None,
    ) -> list[int]:
        """Item ids matching the filters, newest first (cheap: the view's model uses it)."""
        where, args = self._where(model, favourites, tag, text)
        return [
            r[0]
            for r in self.db.execute(
                f"SELECT id FROM items WHERE {where} ORDER BY created DESC, id DESC", args
            )
        ]

    def items(self, **filters: Any) -> list[Item]:
        return [self.get(i) for i in self.ids(**filters)]

    def thumbnail(self, item_id: int) -> bytes:
        row = self.db.execute("SELECT thumb FROM items WHERE id=?", (item_id,)).fetchone()
        if row is None:
            raise KeyError(f"No gallery item {item_id}.")
        return bytes(row[0])

    def image(self, item_id: int) -> np.ndarray:
        """The kept pixels, exactly as they were kept."""
        item = self.get(item_id)
        return load_image(self.images / item.file).rgb

    def models(self) -> list[str]:
        return [
            r[0]
            for r in self.db.execute(
                "SELECT DISTINCT model FROM items WHERE deleted=0 AND model!='' ORDER BY model"
            )
        ]

    def tags(self) -> list[str]:
        return [
            r[0]
            for r in self.db.execute(
                "SELECT DISTINCT tag FROM tags JOIN items ON items.id=item_id "
                "WHERE deleted=0 ORDER BY tag"
            )
        ]

    # ------------------------------------------------------------------ editing

    def _write(self, sql: str, args: Sequence[Any] | Iterable[Sequence[Any]], many: bool = False):
        try:
            with self.db:
                if many:
                    self.db.executemany(sql, args)  # type: ignore[arg-type]
                else:
                    self.db.execute(sql, args)  # type: ignore[arg-type]
        except sqlite3.OperationalError as exc:
            raise GalleryError(f"Could not change the gallery: {exc}.") from exc

    def set_favourite(self, item_id: int, favourite: bool) -> None:
        self._write("UPDATE items SET favourite=? WHERE id=?", (int(favourite), item_id))

    def add_tag(self, item_id: int, tag: str) -> None:
        self._write("INSERT OR IGNORE INTO tags VALUES (?, ?)", (item_id, tag.strip()))

    def remove_tag(self, item_id: int, tag: str) -> None:
        self._write("DELETE FROM tags WHERE item_id=? AND tag=?", (item_id, tag))

    def delete(self, ids: Sequence[int]) -> None:
        """Hide items (undoable with :meth:`restore`; files stay until :meth:`purge`)."""
        self._write("UPDATE items SET deleted=1 WHERE id=?", [(i,) for i in ids], many=True)

    def restore(self, ids: Sequence[int]) -> None:
        self._write("UPDATE items SET deleted=0 WHERE id=?", [(i,) for i in ids], many=True)

    def purge(self) -> int:
        """Remove deleted items and their files for good; returns how many."""
        rows = self.db.execute("SELECT id, file FROM items WHERE deleted=1").fetchall()
        self._write("DELETE FROM items WHERE deleted=1", ())
        for _, file in rows:
            (self.images / file).unlink(missing_ok=True)
        return len(rows)

    def count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM items WHERE deleted=0").fetchone()[0])
