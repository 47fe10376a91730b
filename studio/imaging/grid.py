"""Contact sheets: many small images in one grid, optionally captioned."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw


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
