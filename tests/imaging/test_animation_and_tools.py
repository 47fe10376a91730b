"""Animations (GIF, MP4) and the disclosure as standard tools read it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.imaging.animation import mp4_available, save_gif, save_mp4
from studio.imaging.metadata import DIGITAL_SOURCE_TYPE, save_image


def _frames(n: int = 6, size: int = 33) -> list[np.ndarray]:
    return [np.full((size, size, 3), i * 40, np.uint8) for i in range(n)]


def test_gif_loops_and_says_it_is_ai_generated(tmp_path: Path) -> None:
    path = save_gif(_frames(), tmp_path / "m.gif", fps=10, recipe={"seed": 3})
    with Image.open(path) as img:
        assert img.n_frames == 6 and img.info["loop"] == 0
        assert b"AI-generated" in img.info["comment"] and b'"seed": 3' in img.info["comment"]


@pytest.mark.skipif(not mp4_available(), reason="imageio-ffmpeg is not installed")
def test_mp4_has_every_frame_and_an_even_size(tmp_path: Path) -> None:
    import imageio_ffmpeg

    path = save_mp4(_frames(), tmp_path / "m.mp4", fps=12)
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    assert tuple(meta["size"]) == (34, 34)  # 33 px padded to even for H.264
    assert sum(1 for _ in reader) == 6


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool is not installed")
@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp"])
def test_exiftool_reads_the_digital_source_type(tmp_path: Path, suffix: str) -> None:
    path = save_image(_frames(1)[0], tmp_path / f"x{suffix}", recipe={"seed": 1})
    out = subprocess.run(
        ["exiftool", "-s3", "-XMP-iptcExt:DigitalSourceType", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert out == DIGITAL_SOURCE_TYPE
