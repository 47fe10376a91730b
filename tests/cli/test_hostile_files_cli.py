"""Hostile files on the command line: one plain line each, nothing changed, the batch goes on."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from studio.cli import main
from studio.gallery import Gallery
from studio.gallery.recipes import gallery_dir
from studio.imaging.metadata import RECIPE_KEY
from tests.hostile_files import call_with_timeout, unblock


def _png(path: Path, recipe_text: str | None = None, shade: int = 80) -> Path:
    info = PngImagePlugin.PngInfo()
    if recipe_text is not None:
        info.add_itxt(RECIPE_KEY, recipe_text)
    Image.fromarray(np.full((8, 8, 3), shade, np.uint8)).save(path, pnginfo=info)
    return path


def _one_line_each(err: str, names: list[str]) -> None:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    for name in names:
        mine = [line for line in lines if name in line]
        assert len(mine) == 1, (name, err)
        assert mine[0].startswith("latent-studio: "), mine[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_gallery_import_refuses_each_hostile_file_and_imports_the_rest(tmp_path, capsys):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    files = [
        fifo,
        Path("/dev/zero"),
        _png(tmp_path / "list.png", "[1, 2, 3]"),
        _png(tmp_path / "number.png", "42"),
        _png(tmp_path / "text.png", '"just text"'),
        _png(tmp_path / "deep.png", "[" * 10_000 + "]" * 10_000),
        _png(tmp_path / "good.png", shade=200),
    ]
    stuck, box = call_with_timeout(main, ["gallery", "import", *map(str, files)], timeout=60)
    if stuck:
        unblock(fifo)
        pytest.fail("gallery import blocked")
    out, err = capsys.readouterr()
    assert box.get("value") == 1, (box, err)
    _one_line_each(err, ["pipe.png", "/dev/zero", "list.png", "number.png", "text.png", "deep.png"])
    assert "Imported " in out and "good.png" in out
    gallery = Gallery(gallery_dir())
    assert [i.title for i in gallery.items()] == ["good.png"]


def _render(tmp_path: Path, source: Path, capsys) -> str:
    out = tmp_path / "out"
    stuck, box = call_with_timeout(
        main, ["render", str(source), "--out", str(out), "--device", "cpu"], timeout=60
    )
    assert not stuck, "render blocked"
    _, err = capsys.readouterr()
    assert box.get("value") == 1, (box, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("latent-studio: "), err
    assert "Traceback" not in err
    assert not out.exists() or not list(out.iterdir())
    return lines[0]


@pytest.mark.parametrize(
    ("recipe", "needle"),
    [
        ('{"model": "tiny-gan", "grid": [4096, 1000000000, 4095]}', "grid batch"),
        ('{"model": "tiny-gan", "truncation": NaN}', "NaN"),
        ('{"model": "tiny-gan", "truncation": 1e300}', "truncation"),
        ('{"model": "tiny-gan", "edits": [0, 1e300]}', "edit"),
        ('{"model": "tiny-gan", "edits": [Infinity]}', "Infinity"),
        ('{"model": "tiny-gan", "latent": [0.5, 0.5]}', "latent"),
        ("[1, 2]", "not an object"),
        ('{"model": "tiny-gan", "x": ' + "[" * 10_000 + "]" * 10_000 + "}", "levels deep"),
    ],
    ids=["huge-grid", "nan", "1e300", "edit-1e300", "edit-inf", "latent", "list", "deep"],
)
def test_render_refuses_a_bad_recipe_in_one_line(model_dir, tmp_path, capsys, recipe, needle):
    line = _render(tmp_path, _png(tmp_path / "bad.png", recipe), capsys)
    assert needle in line
    if needle != "latent":  # found before the model is loaded, so said with the file
        assert "bad.png" in line


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_render_of_a_fifo_or_a_device_returns(model_dir, tmp_path, capsys):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    try:
        assert "named pipe" in _render(tmp_path, fifo, capsys)
    finally:
        unblock(fifo)
    if os.path.exists("/dev/zero"):
        assert "a device" in _render(tmp_path, Path("/dev/zero"), capsys)


def test_gallery_export_reports_a_missing_file_and_exports_the_rest(tmp_path, capsys):
    gallery = Gallery(gallery_dir())
    kept = [
        gallery.keep(np.full((8, 8, 3), v, np.uint8), {"seed": i}, model="m")
        for i, v in enumerate((10, 120, 240))
    ]
    (gallery.images / kept[1].file).unlink()
    gallery.close()
    out = tmp_path / "exported"
    rc = main(["gallery", "export", "--out", str(out)])
    captured = capsys.readouterr()
    assert rc == 1, captured
    assert "Traceback" not in captured.err
    _one_line_each(captured.err, [f"#{kept[1].id}"])
    assert "1 item could not be exported" in captured.err
    assert "Exported 2 images" in captured.out
    assert len(list(out.iterdir())) == 2
