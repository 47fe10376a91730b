"""Hostile files given to the gallery: each is refused in one line and changes nothing."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from studio.gallery import Gallery
from studio.imaging.decode import ImageError
from studio.imaging.metadata import RECIPE_KEY
from studio.imaging.recipe_read import RecipeError
from tests.hostile_files import call_with_timeout, needs_fifo, unblock


def _png_with_recipe_text(path: Path, text: str) -> Path:
    info = PngImagePlugin.PngInfo()
    info.add_itxt(RECIPE_KEY, text)
    Image.fromarray(np.full((8, 8, 3), 90, np.uint8)).save(path, pnginfo=info)
    return path


def _jpeg_with_xmp_recipe(path: Path, text: bytes) -> Path:
    buf = io.BytesIO()
    xmp = b"<x:xmpmeta><ls:recipe>" + text + b"</ls:recipe></x:xmpmeta>"
    Image.fromarray(np.full((8, 8, 3), 90, np.uint8)).save(buf, format="JPEG", xmp=xmp)
    path.write_bytes(buf.getvalue())
    return path


def _state(root: Path) -> tuple[int, list[str]]:
    g = Gallery(root)
    try:
        return g.count(), sorted(p.name for p in g.images.iterdir())
    finally:
        g.close()


@needs_fifo
def test_importing_a_fifo_returns_with_one_line(tmp_path: Path) -> None:
    gallery = Gallery(tmp_path / "g")
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    stuck, box = call_with_timeout(gallery.import_file, fifo)
    if stuck:
        unblock(fifo)
        pytest.fail("importing a FIFO blocked")
    assert isinstance(box.get("error"), ImageError)
    assert "named pipe" in str(box["error"]) and "\n" not in str(box["error"])
    assert gallery.count() == 0 and not list(gallery.images.iterdir())


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero here")
def test_importing_dev_zero_is_refused_at_once(tmp_path: Path) -> None:
    gallery = Gallery(tmp_path / "g")
    stuck, box = call_with_timeout(gallery.import_file, "/dev/zero")
    assert not stuck
    assert isinstance(box.get("error"), ImageError) and "a device" in str(box["error"])
    assert gallery.count() == 0


@pytest.mark.parametrize(
    ("text", "word"), [("[1, 2]", "list"), ("42", "number"), ('"x"', "string")]
)
def test_a_recipe_that_is_not_an_object_is_refused(tmp_path: Path, text: str, word: str) -> None:
    gallery = Gallery(tmp_path / "g")
    path = _png_with_recipe_text(tmp_path / "odd.png", text)
    with pytest.raises(RecipeError, match=f"JSON {word}, not an object"):
        gallery.import_file(path)
    assert gallery.count() == 0 and not list(gallery.images.iterdir())


@pytest.mark.parametrize("where", ["png", "xmp"])
def test_a_deeply_nested_recipe_is_refused(tmp_path: Path, where: str) -> None:
    gallery = Gallery(tmp_path / "g")
    deep = "[" * 10_000 + "]" * 10_000
    if where == "png":
        path = _png_with_recipe_text(tmp_path / "deep.png", deep)
    else:
        path = _jpeg_with_xmp_recipe(tmp_path / "deep.jpg", deep.encode())
    with pytest.raises(RecipeError, match="levels deep"):
        gallery.import_file(path)
    assert gallery.count() == 0


def test_a_file_name_that_is_not_utf8_still_imports(tmp_path: Path) -> None:
    if os.name != "posix":
        pytest.skip("byte file names are a POSIX thing")
    name = os.fsdecode(b"caf\xe9.png")
    try:
        Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / name)
    except (OSError, UnicodeError):
        pytest.skip("this file system wants UTF-8 names")
    gallery = Gallery(tmp_path / "g")
    item = gallery.import_file(tmp_path / name)
    assert item.title == "caf\ufffd.png"


def test_a_missing_kept_file_is_one_plain_image_error(tmp_path: Path) -> None:
    gallery = Gallery(tmp_path / "g")
    item = gallery.keep(np.zeros((4, 4, 3), np.uint8), {"seed": 1}, model="m")
    (gallery.images / item.file).unlink()
    with pytest.raises(ImageError, match="Cannot read"):
        gallery.image(item.id)
