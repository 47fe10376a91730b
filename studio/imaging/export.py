"""Export images to a folder: safe file names from a pattern, no silent overwrites."""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from studio.imaging.metadata import save_image
from studio.imaging.resize import MAX_SCALE, scale_image

Conflict = Literal["rename", "skip", "overwrite", "error"]
EXTENSIONS = {"png": ".png", "jpeg": ".jpg", "jpg": ".jpg", "webp": ".webp"}
DEFAULT_PATTERN = "{model}-{seed}-{id}"
# The fields a file-name pattern may use, for help texts and tooltips.
PATTERN_FIELDS = {
    "model": "the model's name (image for a plain import)",
    "seed": "the seed (empty for a plain import)",
    "id": "the gallery item's number (empty for the canvas image)",
    "n": "1, 2, 3 … in the order of this export",
    "title": "the gallery item's title without its extension (an import's file name)",
}
SEPARATORS = "-_ ."


class ExportError(OSError):
    """An export could not be done; the message is for people."""


@dataclass(frozen=True)
class ExportJob:
    """One image to write: pixels, recipe, and the fields its file name may use."""

    image: np.ndarray
    recipe: dict[str, Any] | None
    fields: dict[str, Any]


def safe_component(text: str) -> str:
    """A file-name part with no path separators, control characters or leading dots."""
    text = unicodedata.normalize("NFC", str(text))
    text = re.sub(r'[\x00-\x1f\x7f/\\:*?"<>|]+', "_", text).strip().lstrip(".")
    return text[:120] or "image"


def counted(n: int, word: str, plural: str = "") -> str:
    """``1 image``, ``0 images``, ``3 images`` (``plural`` for irregular words)."""
    return f"{n} {word if n == 1 else plural or word + 's'}"


def pattern_help() -> str:
    """One line listing the pattern's fields, for ``--help`` and tooltips."""
    return "; ".join(f"{{{k}}} {v}" for k, v in PATTERN_FIELDS.items())


def file_name(pattern: str, fields: dict[str, Any]) -> str:
    """Fill ``pattern`` ({model}, {seed}, {n}, {id}, …); unknown fields are an error.

    An empty field takes one separator next to it along (``{model}-{seed}-{id}`` with
    no seed is ``model-7``, never ``model--7``).
    """
    formatter = string.Formatter()
    try:
        parsed = list(formatter.parse(pattern))
    except ValueError as exc:  # e.g. "{seed" without its closing brace
        raise ExportError(f"The file-name pattern {pattern!r} is not valid: {exc}.") from None
    names = {f for _, f, _, _ in parsed if f}
    missing = names - set(fields)
    if missing:
        raise ExportError(
            f"The file-name pattern uses {', '.join(sorted('{' + m + '}' for m in missing))}, "
            f"which this export does not have. Known: {', '.join(sorted(fields))}."
        )
    values = {k: ("" if v is None else v) for k, v in fields.items()}
    filled, drop_separator = "", False
    for literal, name, spec, conversion in parsed:
        if drop_separator and literal[:1] in SEPARATORS and literal:
            literal = literal[1:]
        drop_separator = False
        filled += literal
        if name is None:
            continue
        if not name:
            raise ExportError(
                f"The file-name pattern {pattern!r} is not valid: name each field, e.g. {{seed}}."
            )
        if re.search(r"\d{4,}", spec or ""):  # "{seed:999999999}" would build a GB string
            raise ExportError(f"The file-name pattern {pattern!r} asks for too wide a field.")
        try:
            value, _ = formatter.get_field(name, (), values)
            text = formatter.format_field(formatter.convert_field(value, conversion), spec or "")
        except (ValueError, IndexError, KeyError, AttributeError, TypeError) as exc:
            raise ExportError(f"The file-name pattern {pattern!r} is not valid: {exc}.") from exc
        if text:
            filled += text
        elif filled[-1:] and filled[-1] in SEPARATORS:
            filled = filled[:-1]
        else:
            drop_separator = True
    return safe_component(filled)


def planned_names(jobs: Sequence[ExportJob], fmt: str, pattern: str) -> list[str]:
    """The file names :func:`export_images` gives ``jobs`` before any collision renaming
    (so a window can ask about existing files first); ExportError for a bad pattern."""
    ext = EXTENSIONS.get(fmt.lower())
    if ext is None:
        raise ExportError(f"Unknown format {fmt!r}; use PNG, JPEG or WebP.")
    return [file_name(pattern, {"n": i + 1, **job.fields}) + ext for i, job in enumerate(jobs)]


def _unique(path: Path) -> Path:
    if not path.exists():
        return path
    for i in range(2, 100_000):
        candidate = path.with_name(f"{path.stem} ({i}){path.suffix}")
        if not candidate.exists():
            return candidate
    raise ExportError(f"Too many files named like {path.name}.")


def export_images(
    jobs: Sequence[ExportJob],
    folder: str | Path,
    fmt: str = "png",
    pattern: str = DEFAULT_PATTERN,
    scale: int = 1,
    smooth: bool = False,
    conflict: Conflict = "rename",
    quality: int = 95,
    progress: Callable[[float], None] | None = None,
) -> list[Path]:
    """Write every job into ``folder``; returns the paths written (skipped ones omitted).

    Names come from ``pattern`` and can never leave ``folder``. An existing file is
    renamed around (``name (2).png``), skipped, overwritten or an error, as ``conflict``
    says: the window asks the person first and passes their answer.
    """
    names = planned_names(jobs, fmt, pattern)
    if not 1 <= scale <= MAX_SCALE:
        raise ExportError(f"The scale must be between 1 and {MAX_SCALE}.")
    root = Path(folder).expanduser()
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"Cannot create {root}: {exc.strerror or exc}.") from exc
    root = root.resolve()
    written: list[Path] = []
    for i, (job, name) in enumerate(zip(jobs, names, strict=True)):
        path = root / name
        if path.resolve().parent != root:  # belt and braces: never write outside
            raise ExportError(f"{path.name} would be written outside {root}.")
        if path.exists():
            if conflict == "skip":
                continue
            if conflict == "error":
                raise ExportError(f"{path.name} already exists in {root}.")
            if conflict == "rename":
                path = _unique(path)
        try:
            save_image(scale_image(job.image, scale, smooth), path, job.recipe, quality)
        except OSError as exc:
            raise ExportError(
                f"Could not write {path.name}: {exc.strerror or exc}. "
                f"{counted(len(written), 'image')} written before this."
            ) from exc
        written.append(path)
        if progress:
            progress((i + 1) / len(jobs))
    return written
