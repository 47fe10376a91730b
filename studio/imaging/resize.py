"""Resize, crop and pad uint8 images to the square sizes models use."""

from __future__ import annotations

from typing import Literal

import numpy as np
from PIL import Image

ResizePolicy = Literal["crop", "pad", "stretch"]
MAX_SCALE = 64  # the largest whole-number enlargement an export may ask for


def fit_square(
    rgb: np.ndarray,
    size: int,
    policy: ResizePolicy = "pad",
    background: tuple[int, int, int] = (255, 255, 255),
) -> np.ndarray:
    """Bring an (H, W, 3) uint8 image to (size, size, 3).

    ``pad`` keeps the whole picture on a background, ``crop`` takes the centre square,
    ``stretch`` ignores the aspect ratio. Downscaling uses a Lanczos filter (good for
    the small emoji-sized images we train on); upscaling uses bicubic.
    """
    h, w = rgb.shape[:2]
    img = Image.fromarray(rgb)
    if policy == "crop":
        side = min(h, w)
        left, top = (w - side) // 2, (h - side) // 2
        img = img.crop((left, top, left + side, top + side))
    elif policy == "pad":
        side = max(h, w)
        canvas = Image.new("RGB", (side, side), background)
        canvas.paste(img, ((side - w) // 2, (side - h) // 2))
        img = canvas
    elif policy != "stretch":
        raise ValueError(f"Unknown resize policy {policy!r}; use crop, pad or stretch.")
    if img.size != (size, size):
        shrinking = img.size[0] > size
        img = img.resize(
            (size, size), Image.Resampling.LANCZOS if shrinking else Image.Resampling.BICUBIC
        )
    return np.asarray(img, dtype=np.uint8).copy()


def scale_image(rgb: np.ndarray, factor: int, smooth: bool = False) -> np.ndarray:
    """Scale by an integer factor: nearest for a crisp pixel look, or smooth (bicubic)."""
    if factor == 1:
        return rgb
    h, w = rgb.shape[:2]
    if not smooth:
        return np.repeat(np.repeat(rgb, factor, axis=0), factor, axis=1)
    img = Image.fromarray(rgb).resize((w * factor, h * factor), Image.Resampling.BICUBIC)
    return np.asarray(img, dtype=np.uint8).copy()
