"""Write frame sequences as GIF (Pillow) or MP4 (when imageio-ffmpeg is installed)."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from studio.imaging.metadata import DISCLOSURE, SOFTWARE


def mp4_available() -> bool:
    """Whether MP4 export can run (the optional ``imageio-ffmpeg`` package)."""
    try:
        import imageio_ffmpeg  # noqa: F401
    except ImportError:
        return False
    return True


def save_gif(
    frames: Sequence[np.ndarray],
    path: str | os.PathLike[str],
    fps: float = 12.0,
    recipe: dict[str, Any] | None = None,
) -> Path:
    """An endlessly looping GIF, written atomically, with the disclosure as its comment."""
    if not frames:
        raise ValueError("An animation needs at least one frame.")
    path = Path(path)
    images = [Image.fromarray(np.ascontiguousarray(f[..., :3])) for f in frames]
    comment = f"{DISCLOSURE} {SOFTWARE}."
    if recipe is not None:
        comment += " recipe=" + json.dumps(recipe, sort_keys=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        images[0].save(
            tmp,
            format="GIF",
            save_all=True,
            append_images=images[1:],
            duration=max(20, round(1000 / fps)),
            loop=0,
            disposal=1,
            comment=comment.encode("utf-8"),
        )
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def save_mp4(frames: Sequence[np.ndarray], path: str | os.PathLike[str], fps: float = 24.0) -> Path:
    """An H.264 MP4 through imageio-ffmpeg; raises RuntimeError when it is not installed."""
    try:
        import imageio_ffmpeg
    except ImportError:
        raise RuntimeError(
            "MP4 export needs the optional package imageio-ffmpeg (pip install imageio-ffmpeg)."
        ) from None
    path = Path(path)
    h, w = frames[0].shape[:2]
    # H.264 wants even sizes; pad by repeating the edge rather than resampling.
    ph, pw = h + h % 2, w + w % 2
    writer = imageio_ffmpeg.write_frames(
        str(path),
        (pw, ph),
        fps=fps,
        codec="libx264",
        pix_fmt_out="yuv420p",
        output_params=["-metadata", f"comment={DISCLOSURE}"],
        macro_block_size=2,  # we pad to even sizes; never let ffmpeg rescale
    )
    writer.send(None)
    for f in frames:
        writer.send(
            np.ascontiguousarray(
                np.pad(f[..., :3], ((0, ph - h), (0, pw - w), (0, 0)), mode="edge")
            )
        )
    writer.close()
    return path
