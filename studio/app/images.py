"""numpy uint8 images ⇄ ``QImage``, always copying so neither side shares memory."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage


def array_to_qimage(array: np.ndarray) -> QImage:
    """A ``QImage`` that owns a copy of ``array`` (uint8 H×W×3 RGB, H×W×4 RGBA or H×W grey)."""
    arr = np.asarray(array)
    if arr.dtype != np.uint8:
        raise ValueError(f"Expected a uint8 image, got {arr.dtype}.")
    if arr.ndim == 2:
        fmt, channels = QImage.Format.Format_Grayscale8, 1
    elif arr.ndim == 3 and arr.shape[2] == 3:
        fmt, channels = QImage.Format.Format_RGB888, 3
    elif arr.ndim == 3 and arr.shape[2] == 4:
        fmt, channels = QImage.Format.Format_RGBA8888, 4
    else:
        raise ValueError(f"Expected H×W, H×W×3 or H×W×4, got shape {arr.shape}.")
    arr = np.ascontiguousarray(arr)
    height, width = arr.shape[:2]
    image = QImage(arr.data, width, height, width * channels, fmt)
    return image.copy()  # detach from the numpy buffer, which may be freed or reused


def qimage_to_array(image: QImage) -> np.ndarray:
    """A uint8 H×W×3 RGB copy of ``image`` (any format; alpha is dropped)."""
    if image.isNull():
        raise ValueError("The image is empty.")
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    height, width, stride = rgb.height(), rgb.width(), rgb.bytesPerLine()
    raw = np.frombuffer(rgb.constBits(), np.uint8, count=stride * height)
    return raw.reshape(height, stride)[:, : width * 3].reshape(height, width, 3).copy()
