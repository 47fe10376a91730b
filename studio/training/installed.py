"""Finding a file that a system package installs (a font, a Unicode data file)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def find_installed(
    path: str | None,
    candidates: Iterable[str],
    hint: str,
    error: type[ValueError],
    what: str = "file",
) -> Path:
    """``path`` if given, else the first of ``candidates`` that exists; otherwise
    ``error`` with ``hint``, which says how to install the ``what`` or where to point."""
    if path:
        p = Path(path)
        if not p.is_file():
            raise error(f"No {what} at {p}. " + hint)
        return p
    for candidate in candidates:
        if Path(candidate).is_file():
            return Path(candidate)
    raise error(hint)
