"""Write frame sequences as GIF (Pillow) or MP4 (when imageio-ffmpeg is installed).

Both carry XMP as still images do (the recipe and the IPTC DigitalSourceType that
:mod:`studio.imaging.provenance` derives), where the XMP specification (part 3) puts it:
in a GIF, an application extension ``XMP DataXMP`` holding the raw packet and the
258-byte "magic trailer" that lets GIF readers skip it; in an MP4, a top-level
``uuid`` box with the XMP UUID. exiftool reads both.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from studio.imaging.files import replacing, write_file
from studio.imaging.metadata import FROM_RECIPE, SOFTWARE, build_xmp, source_of
from studio.imaging.provenance import disclosure
from studio.imaging.resize import MAX_SCALE, scale_image

XMP_UUID = bytes.fromhex("BE7ACFCB97A942E89C71999491E3AFAC")
# Each byte a GIF reader takes for a sub-block length leads it here, to the terminator.
GIF_XMP_TRAILER = bytes([1]) + bytes(range(255, -1, -1)) + b"\x00"
MAX_ANIMATION_BYTES = 2**30  # the scaled frames of one morph, held in memory at once


def mp4_available() -> bool:
    """Whether MP4 export can run (the optional ``imageio-ffmpeg`` package)."""
    try:
        import imageio_ffmpeg  # noqa: F401
    except ImportError:
        return False
    return True


def scaled_frames(
    frames: Sequence[np.ndarray], scale: int = 1, smooth: bool = False
) -> list[np.ndarray]:
    """The frames enlarged ``scale`` times, crisp (nearest) or smooth, as single exports;
    ValueError for a scale out of range or an animation too large to hold."""
    if not 1 <= scale <= MAX_SCALE:
        raise ValueError(f"The scale must be between 1 and {MAX_SCALE}.")
    size = sum(f[..., :3].size for f in frames) * scale * scale
    if size > MAX_ANIMATION_BYTES:
        raise ValueError(
            f"{len(frames)} frames at {scale}× would take {size / 2**30:.1f} GB; "
            "choose fewer frames or a smaller scale."
        )
    if scale == 1:
        return [np.ascontiguousarray(f[..., :3]) for f in frames]
    return [scale_image(f[..., :3], scale, smooth) for f in frames]


def gif_with_xmp(gif: bytes, xmp: bytes) -> bytes:
    """``gif`` with an XMP application extension after its global colour table."""
    if gif[:6] not in (b"GIF87a", b"GIF89a") or len(gif) < 13:
        raise ValueError("Not a GIF.")
    if b"\x00" in xmp:
        raise ValueError("An XMP packet in a GIF cannot hold a zero byte.")
    flags = gif[10]
    start = 13 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)
    block = b"\x21\xff\x0bXMP DataXMP" + xmp + GIF_XMP_TRAILER
    return b"GIF89a" + gif[6:start] + block + gif[start:]


def _comment(recipe: dict[str, Any] | None, kind: str | None) -> str:
    text = f"{disclosure(kind)} {SOFTWARE}." if kind else f"{SOFTWARE}."
    if recipe is not None:
        text += " recipe=" + json.dumps(recipe, sort_keys=True)
    return text


def save_gif(
    frames: Sequence[np.ndarray],
    path: str | os.PathLike[str],
    fps: float = 12.0,
    recipe: dict[str, Any] | None = None,
    source: str | None = FROM_RECIPE,
) -> Path:
    """An endlessly looping GIF, written atomically, with the disclosure as its comment
    and XMP (recipe, DigitalSourceType: by default the recipe's)."""
    if not frames:
        raise ValueError("An animation needs at least one frame.")
    path = Path(path)
    kind = source_of(recipe, source)
    images = [Image.fromarray(np.ascontiguousarray(f[..., :3])) for f in frames]
    buf = io.BytesIO()
    images[0].save(
        buf,
        format="GIF",
        save_all=True,
        append_images=images[1:],
        duration=max(20, round(1000 / fps)),
        loop=0,
        disposal=1,
        comment=_comment(recipe, kind).encode("utf-8"),
    )
    return write_file(path, gif_with_xmp(buf.getvalue(), build_xmp(recipe, kind)))


def xmp_box(xmp: bytes) -> bytes:
    """An ISO BMFF ``uuid`` box holding an XMP packet."""
    return (8 + 16 + len(xmp)).to_bytes(4, "big") + b"uuid" + XMP_UUID + xmp


def save_mp4(
    frames: Sequence[np.ndarray],
    path: str | os.PathLike[str],
    fps: float = 24.0,
    recipe: dict[str, Any] | None = None,
    source: str | None = FROM_RECIPE,
) -> Path:
    """An H.264 MP4 through imageio-ffmpeg, written atomically, with XMP in a top-level
    ``uuid`` box; raises RuntimeError when imageio-ffmpeg is not installed."""
    try:
        import imageio_ffmpeg
    except ImportError:
        raise RuntimeError(
            "MP4 export needs the optional package imageio-ffmpeg (pip install imageio-ffmpeg)."
        ) from None
    if not frames:
        raise ValueError("An animation needs at least one frame.")
    path = Path(path)
    kind = source_of(recipe, source)
    h, w = frames[0].shape[:2]
    # H.264 wants even sizes; pad by repeating the edge rather than resampling.
    ph, pw = h + h % 2, w + w % 2
    params = ["-f", "mp4"]
    if kind:
        params += ["-metadata", f"comment={disclosure(kind)}"]
    with replacing(path) as tmp:
        # ffmpeg overwrites the empty temporary file, which keeps the umask's mode.
        writer = imageio_ffmpeg.write_frames(
            str(tmp),
            (pw, ph),
            fps=fps,
            codec="libx264",
            pix_fmt_out="yuv420p",
            output_params=params,
            macro_block_size=2,  # we pad to even sizes; never let ffmpeg rescale
        )
        writer.send(None)
        try:
            for f in frames:
                writer.send(
                    np.ascontiguousarray(
                        np.pad(f[..., :3], ((0, ph - h), (0, pw - w), (0, 0)), mode="edge")
                    )
                )
        finally:
            writer.close()
        # Appended after the movie: no chunk offset inside it moves.
        with open(tmp, "ab") as fh:
            fh.write(xmp_box(build_xmp(recipe, kind)))
            fh.flush()
            os.fsync(fh.fileno())
    return path
