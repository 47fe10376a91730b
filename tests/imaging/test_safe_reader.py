"""The one safe reader of users' files: regular files only, never past the size limit."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.imaging.decode import DecodeLimits, ImageError, load_image, read_user_file
from tests.hostile_files import call_with_timeout, needs_fifo, unblock


@needs_fifo
def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    stuck, box = call_with_timeout(read_user_file, fifo)
    if stuck:
        unblock(fifo)
        pytest.fail("reading a FIFO blocked")
    error = box.get("error")
    assert isinstance(error, ImageError), box
    assert "named pipe" in str(error) and "not a regular file" in str(error)
    assert error.category == "not a regular file"
    stuck, box = call_with_timeout(load_image, fifo)
    if stuck:
        unblock(fifo)
        pytest.fail("decoding a FIFO blocked")
    assert isinstance(box.get("error"), ImageError)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero here")
def test_dev_zero_is_refused_at_once() -> None:
    stuck, box = call_with_timeout(read_user_file, "/dev/zero")
    assert not stuck, "reading /dev/zero did not stop"
    error = box.get("error")
    assert isinstance(error, ImageError) and "a device" in str(error)


def test_a_folder_a_socket_and_a_broken_link_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="a folder"):
        read_user_file(tmp_path)
    link = tmp_path / "gone.png"
    link.symlink_to(tmp_path / "nowhere.png")
    with pytest.raises(ImageError, match="link to nothing") as info:
        read_user_file(link)
    assert info.value.category == "broken link"
    if hasattr(socket, "AF_UNIX"):
        path = tmp_path / "s.sock"
        server = socket.socket(socket.AF_UNIX)
        try:
            server.bind(str(path))
            with pytest.raises(ImageError, match="a socket"):
                read_user_file(path)
        finally:
            server.close()


def test_a_link_to_a_regular_file_is_read(tmp_path: Path) -> None:
    rgb = np.arange(48, dtype=np.uint8).reshape(4, 4, 3)
    Image.fromarray(rgb).save(tmp_path / "real.png")
    (tmp_path / "alias.png").symlink_to(tmp_path / "real.png")
    assert np.array_equal(load_image(tmp_path / "alias.png").rgb, rgb)


def test_the_read_stops_at_the_limit(tmp_path: Path) -> None:
    p = tmp_path / "big.bin"
    p.write_bytes(b"x" * 1000)
    assert read_user_file(p, max_bytes=1000) == b"x" * 1000
    with pytest.raises(ImageError, match="limit") as info:
        read_user_file(p, max_bytes=999)
    assert info.value.category == "too large"
    with pytest.raises(ImageError, match="limit"):
        load_image(p, limits=DecodeLimits(max_file_bytes=10))


def test_a_file_larger_than_it_claims_is_still_bounded(tmp_path: Path, monkeypatch) -> None:
    """A file that grows (or lies about its size, as /proc files do) is cut off."""
    p = tmp_path / "grows.bin"
    p.write_bytes(b"y" * 5000)
    real_stat = os.stat

    class Small:
        def __init__(self, st: os.stat_result) -> None:
            self.st_mode, self.st_size = st.st_mode, 0

    monkeypatch.setattr(os, "stat", lambda path, *a, **k: Small(real_stat(path, *a, **k)))
    with pytest.raises(ImageError, match="limit"):
        read_user_file(p, max_bytes=100)


def test_an_unreadable_file_is_one_plain_error(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="Cannot read") as info:
        read_user_file(tmp_path / "missing.png")
    assert info.value.category == "unreadable"
