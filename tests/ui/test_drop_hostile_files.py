"""Files dropped on the window go through the same safe reader: a pipe cannot hang it."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, PngImagePlugin
from pytestqt.qtbot import QtBot

from studio.imaging.metadata import RECIPE_KEY
from studio.ui.window import MainWindow
from tests.hostile_files import unblock

from .helpers import gallery_of

pytestmark = pytest.mark.skipif(
    not hasattr(os, "mkfifo") or not hasattr(signal, "SIGALRM"), reason="POSIX only"
)


@contextlib.contextmanager
def deadline(seconds: int, fifo: Path) -> Iterator[None]:
    """Fail instead of hanging: an alarm interrupts a read stuck on ``fifo``."""

    def ring(signum, frame):
        unblock(fifo)
        raise TimeoutError("the drop blocked")

    old = signal.signal(signal.SIGALRM, ring)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def test_a_drop_of_hostile_files_says_why_for_each_and_keeps_the_good_one(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    actions = gallery_of(window)
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    info = PngImagePlugin.PngInfo()
    info.add_itxt(RECIPE_KEY, "[1, 2, 3]")
    Image.fromarray(np.full((8, 8, 3), 40, np.uint8)).save(tmp_path / "list.png", pnginfo=info)
    Image.fromarray(np.full((8, 8, 3), 200, np.uint8)).save(tmp_path / "good.png")
    dropped = [fifo, Path("/dev/zero"), tmp_path / "list.png", tmp_path / "good.png"]
    with deadline(20, fifo), qtbot.waitSignal(actions.problem) as problem:
        actions.canvas_drops.dropped.emit(dropped)
    lines = problem.args[0].splitlines()
    assert lines[0].startswith("Could not import 3 of 4 files")
    assert "named pipe" in lines[1] and "a device" in lines[2] and "not an object" in lines[3]
    assert [i.title for i in actions.gallery.items()] == ["good.png"]
