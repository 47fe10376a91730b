"""The scan lists what it cannot read (pipes, devices, broken links) and not DATASET.json."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from studio.training.dataset import load_folder
from studio.training.scan import scan_folder
from tests.conftest import make_shapes_folder
from tests.hostile_files import call_with_timeout, needs_fifo, unblock


@needs_fifo
def test_a_fifo_a_socket_and_a_broken_link_are_skipped_with_a_reason(tmp_path: Path) -> None:
    root = make_shapes_folder(tmp_path / "data", count=4)
    fifo = root / "pipe.png"
    os.mkfifo(fifo)
    (root / "gone.png").symlink_to(root / "nowhere.png")
    sock = None
    if hasattr(socket, "AF_UNIX"):
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(root / "s.sock"))
    try:
        stuck, box = call_with_timeout(scan_folder, root, 16)
        if stuck:
            unblock(fifo)
            pytest.fail("the scan blocked on a FIFO")
    finally:
        if sock is not None:
            sock.close()
    report = box["value"]
    skipped = {e.path: e for e in report.skipped}
    assert skipped["pipe.png"].category == "not a regular file"
    assert "named pipe" in skipped["pipe.png"].reason
    assert skipped["gone.png"].category == "broken link"
    if sock is not None:
        assert "a socket" in skipped["s.sock"].reason
    assert len(report.usable) == 4
    assert "skipped 1: broken link" in report.summary()


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero here")
def test_a_link_to_a_device_is_skipped(tmp_path: Path) -> None:
    root = make_shapes_folder(tmp_path / "data", count=2)
    (root / "zero.png").symlink_to("/dev/zero")
    stuck, box = call_with_timeout(scan_folder, root)
    assert not stuck, "the scan read /dev/zero"
    entry = next(e for e in box["value"].skipped if e.path == "zero.png")
    assert entry.category == "not a regular file" and "a device" in entry.reason


def test_the_folders_own_description_is_not_listed(tmp_path: Path) -> None:
    root = make_shapes_folder(tmp_path / "data", count=3)
    (root / "DATASET.json").write_text(json.dumps({"name": "shapes", "count": 3}))
    (root / "sub").mkdir()
    (root / "sub" / "DATASET.json").write_text("{}")  # deeper down it is just a file
    report = scan_folder(root)
    paths = [e.path for e in report.entries]
    assert "DATASET.json" not in paths
    assert "sub/DATASET.json" in paths
    data = load_folder(root, 16, split="all")
    assert all(p != "DATASET.json" for p, _ in data.skipped)
