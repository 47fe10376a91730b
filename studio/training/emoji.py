"""Build a training folder from the Noto Color Emoji font's CBDT bitmaps."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from PIL import Image

from studio.imaging.decode import ImageError, decode_image
from studio.imaging.resize import fit_square
from studio.training.emoji_groups import (
    UNLISTED,
    class_slug,
    codepoints_in,
    find_emoji_test,
    read_emoji_classes,
)
from studio.training.installed import find_installed

DEFAULT_FONT_PATHS = (
    "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf",
    "/usr/share/fonts/noto/NotoColorEmoji.ttf",
    "/usr/share/fonts/google-noto-emoji/NotoColorEmoji.ttf",
    "/System/Library/Fonts/NotoColorEmoji.ttf",
)
FONT_HINT = (
    "Noto Color Emoji was not found. On Debian or Ubuntu install it with "
    "`sudo apt-get install fonts-noto-color-emoji`, or pass --font PATH to a copy of "
    "NotoColorEmoji.ttf."
)


class FontError(ValueError):
    """The emoji font is missing or unusable; the message says what to do."""


def find_emoji_font(path: str | None = None) -> Path:
    """The font to read: ``path`` if given, else the first standard location that exists."""
    return find_installed(path, DEFAULT_FONT_PATHS, FONT_HINT, FontError, "font file")


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:100] or "glyph"


def iter_cbdt_bitmaps(font_path: Path) -> list[tuple[str, bytes]]:
    """(glyph name, PNG bytes) for every bitmap of the font's largest CBDT strike."""
    from fontTools.ttLib import TTFont, TTLibError

    try:
        font = TTFont(str(font_path), lazy=True)
    except (TTLibError, OSError) as exc:
        raise FontError(f"{font_path.name} is not a readable font ({exc}).") from exc
    if "CBDT" not in font or "CBLC" not in font:
        raise FontError(f"{font_path.name} has no colour bitmaps (CBDT table). " + FONT_HINT)
    cblc = font["CBLC"]
    cbdt = font["CBDT"]
    # The strike with the most pixels per em gives the sharpest source bitmaps.
    best = max(range(len(cblc.strikes)), key=lambda i: cblc.strikes[i].bitmapSizeTable.ppemY)
    out = []
    for name, glyph in cbdt.strikeData[best].items():
        glyph.ensureDecompiled()
        data = getattr(glyph, "imageData", None)
        if data:
            out.append((name, bytes(data)))
    return out


def glyph_codepoints(font_path: Path) -> dict[str, list[int]]:
    """Glyph name → the code points the font maps to it (lowest first)."""
    from fontTools.ttLib import TTFont

    out: dict[str, list[int]] = {}
    for cp, name in sorted(TTFont(str(font_path), lazy=True).getBestCmap().items()):
        out.setdefault(name, []).append(cp)
    return out


def _glyph_classes(points: dict[str, list[int]], classes: dict[int, str]) -> dict[str, str]:
    """Glyph name → class slug; glyphs of no listed code point fall in ``UNLISTED``."""
    return {
        name: next((classes[cp] for cp in cps if cp in classes), UNLISTED)
        for name, cps in points.items()
    }


def _names_of(points: dict[str, list[int]], codepoints: Iterable[int] | None) -> set[str]:
    if codepoints is None:
        return set(points)
    wanted = set(codepoints)
    return {name for name, cps in points.items() if wanted.intersection(cps)}


def glyph_names(font_path: Path, codepoints: Iterable[int] | None = None) -> set[str]:
    """The font's glyph names for these code points (those it has), or for every code
    point it maps when ``codepoints`` is None.

    Glyphs reached only through sequences (skin tones, flags, ZWJ families) have no code
    point of their own, so they are never among these names.
    """
    return _names_of(glyph_codepoints(font_path), codepoints)


def _take_back(made: list[Path]) -> None:
    """Remove what a build made, newest first (files, then their emptied folders)."""
    for path in reversed(made):
        with contextlib.suppress(OSError):
            if path.is_dir():
                path.rmdir()  # only when empty: never another program's files
            else:
                path.unlink()


def _subset_label(subset: bool, groups: list[str] | None) -> str:
    # The window's model line shows this name, so name the groups where there are some.
    if groups:
        return f" ({', '.join(groups)})"
    return " (a subset)" if subset else ""


def build_emoji_folder(
    out_dir: str | Path,
    size: int = 64,
    font: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    only: Iterable[int] | None = None,
    singles: bool = False,
    classes: str | None = None,
    emoji_test: str | None = None,
    groups: Iterable[str] | None = None,
) -> tuple[int, list[str]]:
    """Write every emoji (or those of the code points ``only``) as a ``size``×``size`` PNG
    on white; returns (count, problems).

    ``singles`` keeps one glyph per code point and leaves out the sequence variants
    (skin tones, flags, ZWJ combinations), which in Noto are most of the font and mostly
    near-repeats of the same figures.

    ``classes`` ("group" or "subgroup") writes each image into a subfolder named after
    its Unicode emoji group or subgroup (read from ``emoji_test``, Unicode's
    emoji-test.txt), ready for class-conditional training. It implies ``singles``: a
    sequence's glyph has no code point of its own to look up. ``classes="each"`` gives
    every image a subfolder of its own: one class per emoji, which is how a feature
    network learns to tell the emoji themselves apart (``train features``).

    ``groups`` keeps only the emoji filed under these Unicode groups or subgroups
    ("smileys-emotion", "cat-face"): a narrow, coherent set, which a small GAN learns to
    draw far sooner than the whole font. It implies ``singles`` too.
    """
    table = None
    if classes is not None and classes != "each":
        table = read_emoji_classes(find_emoji_test(emoji_test), classes)
        singles = True
    wanted = None if only is None else list(only)
    kept_groups = None if groups is None else sorted({class_slug(g) for g in groups})
    if kept_groups is not None:
        listed = codepoints_in(find_emoji_test(emoji_test), kept_groups)
        wanted = listed if wanted is None else sorted(set(wanted) & set(listed))
        singles = True
    # After emoji-test.txt, so a misspelt group is named even where the font is missing.
    font_path = find_emoji_font(font)
    bitmaps = iter_cbdt_bitmaps(font_path)
    subset = wanted is not None or singles
    glyph_class: dict[str, str] | None = None
    if subset:
        points = glyph_codepoints(font_path)  # the font's cmap, read once
        names = _names_of(points, wanted)
        if table is not None:
            glyph_class = _glyph_classes(points, table)
        bitmaps = [b for b in bitmaps if b[0] in names]
    if not bitmaps:
        raise FontError(f"{font_path.name} has no bitmaps to extract.")
    out = Path(out_dir)

    def folder_for(name: str) -> Path:
        if glyph_class is not None:
            return out / glyph_class[name]
        return out / _safe_name(name) if classes == "each" else out

    # Provenance travels with the folder, so trained checkpoints can name their data.
    info: dict[str, object] = {
        "name": "Noto Color Emoji" + _subset_label(subset, kept_groups),
        "source": f"Debian package fonts-noto-color-emoji ({font_path.name}), CBDT bitmaps",
        "licence": "Apache-2.0",
        "count": 0,
        "size": size,
    }
    if singles:
        info["subset"] = "single code points (no skin-tone, flag or ZWJ sequences)"
    if glyph_class is not None:
        info["classes"] = f"Unicode emoji {classes}s (emoji-test.txt; Unicode License v3)"
    elif classes == "each":
        info["classes"] = "one per emoji"
    if kept_groups is not None:
        info["groups"] = kept_groups
    if only is not None and wanted is not None:  # (the second only narrows the type)
        info["codepoints"] = [f"U+{cp:04X}" for cp in wanted]
    # What this build creates, oldest first, so a cancel or a full disk takes it all
    # back: a half-written set would otherwise train silently on the wrong mix.
    made: list[Path] = []
    try:
        written, problems = _write_images(bitmaps, size, folder_for, progress, made)
        info["count"] = written
        _make_folder(out, made)
        _new_file(out / "DATASET.json", made).write_text(json.dumps(info, indent=2))
    except BaseException:
        _take_back(made)
        raise
    return written, problems


def _write_images(
    bitmaps: list[tuple[str, bytes]],
    size: int,
    folder_for: Callable[[str], Path],
    progress: Callable[[int, int], None] | None,
    made: list[Path],
) -> tuple[int, list[str]]:
    """Each bitmap as a ``size`` px PNG on white in its folder; (written, problems).
    Every folder and file it creates goes on ``made``."""
    problems: list[str] = []
    written = 0
    for i, (name, data) in enumerate(bitmaps):
        try:
            decoded = decode_image(data, background=(255, 255, 255))
        except ImageError as exc:
            problems.append(f"{name}: {exc}")
            continue
        square = fit_square(decoded.rgb, size, policy="pad")
        folder = _make_folder(folder_for(name), made)
        path = _new_file(folder / f"{_safe_name(name)}.png", made)
        Image.fromarray(np.ascontiguousarray(square)).save(path)
        written += 1
        if progress:
            progress(i + 1, len(bitmaps))
    return written, problems


def _make_folder(folder: Path, made: list[Path]) -> Path:
    """``folder`` and any missing parents, each one made noted on ``made``."""
    for f in reversed([folder, *folder.parents]):
        if not f.exists():
            f.mkdir()
            made.append(f)
    return folder


def _new_file(path: Path, made: list[Path]) -> Path:
    """``path``, noted on ``made`` unless it was there before (an earlier build's file is
    overwritten in place, not deleted on a cancel)."""
    if not path.exists():
        made.append(path)
    return path
