"""Contact sheets: many small images in one grid, optionally captioned."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from studio.imaging.metadata import save_image
from studio.imaging.provenance import combined_source_type
from studio.imaging.resize import MAX_SCALE, fit_square, scale_image

SHEET_TILE = 128
MAX_SHEET_PIXELS = 256 * 1024 * 1024  # 256 MP (768 MB of RGB): beyond that, say so


def contact_sheet(
    images: Sequence[np.ndarray] | np.ndarray,
    columns: int | None = None,
    gap: int = 2,
    background: tuple[int, int, int] = (32, 32, 36),
    captions: Sequence[str] | None = None,
) -> np.ndarray:
    """Lay out equally sized uint8 (H, W, 3) images in a grid with gaps.

    ``columns`` defaults to a near-square layout. Captions, when given, are written
    under each tile in a small default font.
    """
    tiles = [np.asarray(t) for t in images]
    if not tiles:
        raise ValueError("A contact sheet needs at least one image.")
    h, w = tiles[0].shape[:2]
    n = len(tiles)
    cols = columns or math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    cap_h = 12 if captions else 0
    sheet = np.empty((rows * (h + cap_h + gap) + gap, cols * (w + gap) + gap, 3), np.uint8)
    sheet[:] = background
    for i, tile in enumerate(tiles):
        r, c = divmod(i, cols)
        y, x = gap + r * (h + cap_h + gap), gap + c * (w + gap)
        sheet[y : y + h, x : x + w] = tile[..., :3]
    if captions:
        img = Image.fromarray(sheet)
        draw = ImageDraw.Draw(img)
        for i, text in enumerate(captions[:n]):
            r, c = divmod(i, cols)
            y, x = gap + r * (h + cap_h + gap) + h, gap + c * (w + gap)
            draw.text((x + 1, y), text[: max(1, w // 6)], fill=(220, 220, 220))
        sheet = np.asarray(img).copy()
    return sheet


def sheet_tile(image: np.ndarray, size: int = SHEET_TILE) -> np.ndarray:
    """One contact-sheet tile: whole-number nearest scaling when it fits, else fitted."""
    h, w = image.shape[:2]
    if h == w and size % h == 0:
        return scale_image(image[..., :3], size // h)
    return fit_square(np.ascontiguousarray(image[..., :3]), size)


def sheet_size(count: int, tile: int = SHEET_TILE, captions: bool = True) -> tuple[int, int]:
    """(height, width) of a near-square sheet of ``count`` tiles, before any scaling."""
    cols = math.ceil(math.sqrt(max(1, count)))
    rows = math.ceil(count / cols)
    gap, cap = 2, (12 if captions else 0)
    return rows * (tile + cap + gap) + gap, cols * (tile + gap) + gap


def save_sheet(
    images: Sequence[np.ndarray],
    path: str | os.PathLike[str],
    recipes: Sequence[Mapping[str, Any] | None],
    captions: Sequence[str] = (),
    scale: int = 1,
    smooth: bool = False,
) -> Path:
    """A captioned contact sheet of ``images`` written to ``path`` (PNG, JPEG or WebP),
    enlarged ``scale`` times (crisp or smooth, as single exports).

    The sheet carries no recipe (it is many pictures), but its DigitalSourceType is
    what its pictures' recipes make it: all a model's → AI-made, all plain imports →
    no claim, a mix → composite. ValueError for a bad scale or a sheet too large.
    """
    if not images:
        raise ValueError("A contact sheet needs at least one image.")
    if not 1 <= scale <= MAX_SCALE:
        raise ValueError(f"The scale must be between 1 and {MAX_SCALE}.")
    h, w = sheet_size(len(images), SHEET_TILE, bool(captions))
    if h * w * scale * scale > MAX_SHEET_PIXELS:
        raise ValueError(
            f"A sheet of {len(images)} images at {scale}× would be {w * scale} × "
            f"{h * scale} pixels, too large to write; choose fewer images or a smaller scale."
        )
    sheet = contact_sheet([sheet_tile(i) for i in images], captions=list(captions) or None)
    return save_image(scale_image(sheet, scale, smooth), path, source=combined_source_type(recipes))
