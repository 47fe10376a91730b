"""``named``: give a Qt object its objectName inline (tests and accessibility find it)."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import QObject

T = TypeVar("T", bound=QObject)


def named(obj: T, name: str) -> T:
    """Set ``obj``'s objectName to ``name`` and return it."""
    obj.setObjectName(name)
    return obj
