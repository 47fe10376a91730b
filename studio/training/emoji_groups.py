"""Unicode's emoji groups and subgroups, read from ``emoji-test.txt``, as class labels.

The Unicode Consortium files every emoji under a group ("Animals & Nature") and a
subgroup ("animal-mammal"). Training a class-conditional GAN on those labels splits a
very mixed set into narrow, coherent classes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from studio.training.installed import find_installed

EMOJI_TEST_PATHS = (
    "/usr/share/unicode/emoji/emoji-test.txt",  # Debian/Ubuntu: unicode-data
    "/usr/share/unicode-data/emoji/emoji-test.txt",
    "/usr/local/share/unicode/emoji/emoji-test.txt",
)
EMOJI_TEST_HINT = (
    "Unicode's emoji-test.txt was not found. On Debian or Ubuntu install it with "
    "`sudo apt-get install unicode-data`, or pass --emoji-test PATH to a copy."
)
LEVELS = ("group", "subgroup")
UNLISTED = "unlisted"  # glyphs the file does not name (private-use and sequence pieces)
_VARIATION_SELECTOR = 0xFE0F


class EmojiTestError(ValueError):
    """emoji-test.txt is missing or unusable; the message says what to do."""


def find_emoji_test(path: str | None = None) -> Path:
    """The file to read: ``path`` if given, else the first standard location that exists."""
    return find_installed(path, EMOJI_TEST_PATHS, EMOJI_TEST_HINT, EmojiTestError)


def class_slug(name: str) -> str:
    """A folder name for a group or subgroup: "Smileys & Emotion" → "smileys-emotion"."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or UNLISTED


def read_emoji_classes(path: Path, level: str = "subgroup") -> dict[int, str]:
    """Code point → class slug (its group or subgroup) for every emoji that is a single
    code point (a trailing variation selector aside). ``EmojiTestError`` if the file
    names none."""
    if level not in LEVELS:
        raise EmojiTestError(f"Unknown class level {level!r}; use group or subgroup.")
    found = _read_levels(path)[level]
    if not found:
        raise _lists_none(path)
    return found


def _lists_none(path: Path) -> EmojiTestError:
    return EmojiTestError(f"{path.name} lists no emoji; is it Unicode's emoji-test.txt?")


def _read_levels(path: Path) -> dict[str, dict[int, str]]:
    """Both levels' tables from one read of the file (see ``read_emoji_classes``)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise EmojiTestError(
            f"Cannot read {path}: it is not text; is it Unicode's emoji-test.txt?"
        ) from None
    except OSError as exc:
        raise EmojiTestError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    found: dict[str, dict[int, str]] = {level: {} for level in LEVELS}
    names = dict.fromkeys(LEVELS, "")
    for line in text.splitlines():
        header = re.match(r"#\s*(group|subgroup):\s*(.+)", line)
        if header:
            names[header.group(1)] = header.group(2).strip()
            continue
        if not line.strip() or line.startswith("#") or ";" not in line:
            continue
        try:
            points = [int(h, 16) for h in line.split(";", 1)[0].split()]
        except ValueError:
            continue  # not a code-point line; the format has no other kind, so skip it
        points = [p for p in points if p != _VARIATION_SELECTOR]
        if len(points) != 1:
            continue
        for level in LEVELS:
            if names[level]:
                # The first listing wins: a fully-qualified form comes before its variants.
                found[level].setdefault(points[0], class_slug(names[level]))
    return found


def codepoints_in(path: Path, names: Iterable[str]) -> list[int]:
    """The single code points filed under any of these groups or subgroups (slugs such as
    "smileys-emotion" or "cat-face"), lowest first. ``EmojiTestError`` names an unknown
    slug and lists the known ones, so a typo never builds an empty or wrong set."""
    tables = list(_read_levels(path).values())
    known = {slug for table in tables for slug in table.values()}
    if not known:
        raise _lists_none(path)
    wanted = {class_slug(n) for n in names}
    unknown = sorted(wanted - known)
    if unknown:
        raise EmojiTestError(
            f"No Unicode emoji group or subgroup is called {', '.join(unknown)}. "
            f"Groups: {', '.join(sorted(set(tables[0].values())))}. Subgroups are listed "
            f"in {path}."
        )
    return sorted({cp for table in tables for cp, slug in table.items() if slug in wanted})
