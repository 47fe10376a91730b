"""Decode untrusted image files into uint8 RGB arrays, with limits.

Every image that comes from outside (a user's folder, a drop on the canvas, a font) goes
through here, so a corrupt file, a decompression bomb or a 16-bit CMYK TIFF gives one
clear message instead of a crash or a silently wrong picture.
"""

from __future__ import annotations

import errno
import io
import os
import stat
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageFile

# Refuse rather than half-decode: a truncated file is an error, never a grey bottom half.
ImageFile.LOAD_TRUNCATED_IMAGES = False

MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_PIXELS = 64_000_000
MAX_SIDE = 16_384


SIGNATURES = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
)


def looks_like_image(data: bytes) -> bool:
    """Whether bytes start like a common image format (to tell corrupt from foreign)."""
    return data.startswith(SIGNATURES) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


class ImageError(ValueError):
    """An image could not be used; the message is for people.

    ``category`` names the kind of problem without details (for counting in a scan
    report): "not an image", "corrupt or truncated", "decompression bomb", "too large",
    "not a regular file", "broken link", "unreadable", or "" when none was given.
    """

    def __init__(self, message: str, category: str = "") -> None:
        super().__init__(message)
        self.category = category


@dataclass(frozen=True)
class DecodeLimits:
    """How large an image we agree to decode."""

    max_file_bytes: int = MAX_FILE_BYTES
    max_pixels: int = MAX_PIXELS
    max_side: int = MAX_SIDE


@dataclass
class Decoded:
    """A decoded picture and the conversions made to reach RGB."""

    rgb: np.ndarray
    alpha: np.ndarray | None
    conversions: list[str] = field(default_factory=list)
    source_mode: str = "RGB"


def _flatten(rgb: np.ndarray, alpha: np.ndarray, background: tuple[int, int, int]) -> np.ndarray:
    a = alpha.astype(np.float32)[..., None] / 255.0
    bg = np.asarray(background, dtype=np.float32)
    out = rgb.astype(np.float32) * a + bg * (1.0 - a)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def _to_rgb(img: Image.Image, conversions: list[str]) -> tuple[np.ndarray, np.ndarray | None]:
    mode = img.mode
    alpha: np.ndarray | None = None
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # 16-bit and float greyscale: scale the real range to 8 bits instead of clipping.
        arr = np.asarray(img, dtype=np.float64)
        hi = 65535.0 if mode.startswith("I;16") else max(float(arr.max()), 1.0)
        if mode == "I" and arr.max() <= 255:
            hi = 255.0
        grey = np.clip(np.rint(arr / hi * 255.0), 0, 255).astype(np.uint8)
        conversions.append("16-bit to 8-bit" if hi > 255 else "high-bit-depth to 8-bit")
        conversions.append("greyscale to RGB")
        return np.repeat(grey[..., None], 3, axis=2), None
    if mode == "P":
        conversions.append("palette to RGB")
        img = img.convert("RGBA")
        mode = "RGBA"
    if mode == "CMYK":
        conversions.append("CMYK to RGB")
        img = img.convert("RGB")
        mode = "RGB"
    if mode in ("L", "1"):
        conversions.append("greyscale to RGB")
        img = img.convert("RGB")
        mode = "RGB"
    if mode == "LA":
        conversions.append("greyscale to RGB")
        img = img.convert("RGBA")
        mode = "RGBA"
    if mode in ("RGBA", "RGBa", "PA"):
        rgba = np.asarray(img.convert("RGBA"))
        alpha = rgba[..., 3].copy()
        return rgba[..., :3].copy(), alpha
    if mode != "RGB":
        conversions.append(f"{mode} to RGB")
        img = img.convert("RGB")
    return np.asarray(img).copy(), None


def decode_image(
    data: bytes,
    *,
    limits: DecodeLimits | None = None,
    background: tuple[int, int, int] | None = (255, 255, 255),
) -> Decoded:
    """Decode bytes into RGB uint8 (H, W, 3), refusing anything unsafe or broken.

    With ``background`` set, transparency is flattened onto that colour (and noted in
    ``conversions``); with ``None`` the alpha channel is returned separately.
    """
    limits = limits or DecodeLimits()
    if not data:
        raise ImageError("The file is empty (0 bytes).", "corrupt or truncated")
    if len(data) > limits.max_file_bytes:
        raise _too_large("The file", len(data), limits.max_file_bytes)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            w, h = img.size
            if w > limits.max_side or h > limits.max_side or w * h > limits.max_pixels:
                raise ImageError(
                    f"The image is {w}×{h} pixels, larger than allowed "
                    f"({limits.max_side} px a side, {limits.max_pixels / 1e6:.0f} megapixels): "
                    "refused as a possible decompression bomb.",
                    "decompression bomb",
                )
            if w < 1 or h < 1:
                raise ImageError("The image has no pixels.", "corrupt or truncated")
            img.load()
            # Animated files: the first frame is the picture.
            conversions: list[str] = []
            if getattr(img, "n_frames", 1) > 1:
                conversions.append("first frame of an animation")
            source_mode = img.mode
            rgb, alpha = _to_rgb(img, conversions)
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(f"Refused as a decompression bomb: {exc}", "decompression bomb") from exc
    except Image.UnidentifiedImageError as exc:
        if looks_like_image(data):
            raise ImageError(
                "The image is corrupt or truncated (its header is damaged).",
                "corrupt or truncated",
            ) from exc
        raise ImageError(
            "This is not an image file Latent Studio can read.", "not an image"
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageError(
            f"The image is corrupt or truncated ({exc}).", "corrupt or truncated"
        ) from exc
    if alpha is not None and background is not None:
        if alpha.min() < 255:
            conversions.append("alpha flattened on background")
        rgb = _flatten(rgb, alpha, background)
        alpha = None
    return Decoded(rgb=rgb, alpha=alpha, conversions=conversions, source_mode=source_mode)


def _kind(mode: int) -> str:
    """What a file that is not a regular file is, in plain words."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _not_regular(name: str, mode: int) -> ImageError:
    return ImageError(
        f"{name} is {_kind(mode)}, not a regular file: refused.", "not a regular file"
    )


def _too_large(name: str, size: float, limit: int) -> ImageError:
    return ImageError(
        f"{name} is {size / 1e6:.0f} MB; the limit is {limit / 1e6:.0f} MB.", "too large"
    )


# O_NONBLOCK: if the path is swapped for a FIFO between the stat and the open, the open
# returns at once instead of waiting for a writer (fstat then refuses it).
_READ_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_CHUNK = 1 << 20


def read_user_file(path: str | os.PathLike[str], max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a file from outside (a user's folder, a drop, a recipe to render).

    Only a regular file is opened: a FIFO would block forever and ``/dev/zero`` never
    ends, so anything else (pipe, device, socket, folder, a link to nothing) is refused
    before opening, and checked again on the open file. The read stops past
    ``max_bytes`` whatever the file claims its size is. Raises :class:`ImageError`.
    """
    p = Path(path)
    name = p.name or str(p)
    try:
        st = os.stat(p)
    except OSError as exc:
        if exc.errno == errno.ENOENT and os.path.islink(p):
            raise ImageError(
                f"{name} is a link to nothing (its target is gone).", "broken link"
            ) from None
        raise ImageError(f"Cannot read {name}: {exc.strerror or exc}.", "unreadable") from None
    if not stat.S_ISREG(st.st_mode):
        raise _not_regular(name, st.st_mode)
    if st.st_size > max_bytes:
        raise _too_large(name, st.st_size, max_bytes)
    try:
        fd = os.open(p, _READ_FLAGS)
    except OSError as exc:
        raise ImageError(f"Cannot read {name}: {exc.strerror or exc}.", "unreadable") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):  # swapped after the first look
            raise _not_regular(name, st.st_mode)
        chunks: list[bytes] = []
        total = 0
        while True:
            # Never more than one byte past the limit, even if the file keeps growing.
            chunk = os.read(fd, min(_CHUNK, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise _too_large(name, total, max_bytes)
    except OSError as exc:
        raise ImageError(f"Cannot read {name}: {exc.strerror or exc}.", "unreadable") from None
    finally:
        os.close(fd)
    return b"".join(chunks)


def load_image(
    path: str | os.PathLike[str],
    *,
    limits: DecodeLimits | None = None,
    background: tuple[int, int, int] | None = (255, 255, 255),
) -> Decoded:
    """Read (see :func:`read_user_file`) and decode an image file; see
    :func:`decode_image`."""
    limits = limits or DecodeLimits()
    data = read_user_file(path, limits.max_file_bytes)
    return decode_image(data, limits=limits, background=background)
