"""``generate`` on a full disk, and ``render --model`` for images made from a model file."""

from __future__ import annotations

import builtins
import errno
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import save_tiny, tiny_gan
from PIL import Image

from studio.cli import main
from studio.imaging.metadata import read_recipe
from studio.models.identity import model_sha256


class _ShortWriter:
    """A file on a full disk: the first write gets half its bytes in, then ENOSPC."""

    def __init__(self, fh) -> None:
        self._fh = fh

    def write(self, data) -> int:
        self._fh.write(bytes(data)[: len(data) // 2])
        self._fh.flush()
        raise OSError(errno.ENOSPC, "No space left on device")

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> bool:
        self._fh.close()
        return False

    def __getattr__(self, name):
        return getattr(self._fh, name)


def _disk_full_after(monkeypatch, folder: Path, complete: int) -> None:
    """Files written in ``folder`` fill the disk after ``complete`` of them: every later
    one gets half its bytes and then ENOSPC, whichever way the writer opens it."""
    real_open, real_fdopen = builtins.open, os.fdopen
    count = 0

    def short(fh, path: str):
        nonlocal count
        if Path(path).resolve().parent != folder.resolve():
            return fh
        count += 1
        return fh if count <= complete else _ShortWriter(fh)

    def fake_open(file, mode="r", *args, **kwargs):
        fh = real_open(file, mode, *args, **kwargs)
        return short(fh, os.fspath(file)) if "w" in mode and not isinstance(file, int) else fh

    def fake_fdopen(fd, mode="r", *args, **kwargs):
        fh = real_fdopen(fd, mode, *args, **kwargs)
        return short(fh, os.readlink(f"/proc/self/fd/{fd}")) if "w" in mode else fh

    monkeypatch.setattr(builtins, "open", fake_open)
    monkeypatch.setattr(os, "fdopen", fake_fdopen)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
@pytest.mark.parametrize(("complete", "words"), [(1, "1 image "), (3, "3 images ")])
def test_generate_on_a_full_disk_is_one_line_and_leaves_no_partial_file(
    model_dir, tmp_path, capsys, monkeypatch, complete, words
):
    out = tmp_path / "out"
    out.mkdir()
    _disk_full_after(monkeypatch, out, complete)
    rc = main(["generate", "--model", "tiny-gan", "--count", "6", "--out", str(out)])
    monkeypatch.undo()
    captured = capsys.readouterr()
    assert rc != 0 and "Traceback" not in captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("latent-studio: ") and "No space left on device" in lines[0]
    assert words in lines[0] and f"{complete} images(s)" not in lines[0]
    if complete == 1:
        assert "1 images" not in lines[0]
    left = sorted(p.name for p in out.iterdir())
    assert left == [f"tiny-gan-0-{i:04d}.png" for i in range(complete)]  # no .tmp, no half
    for name in left:  # the ones kept are whole
        with Image.open(out / name) as img:
            img.load()
        assert read_recipe((out / name).read_bytes())["model"] == "tiny-gan"


def _pixels(path: Path) -> np.ndarray:
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB")).copy()


def test_render_with_a_model_file_the_recipe_names_but_is_not_installed(
    tmp_path, capsys, monkeypatch
):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    path = save_tiny(tiny_gan(3), elsewhere / "mine.safetensors", "my-gan")
    out = tmp_path / "out"
    assert main(["generate", "--model", str(path), "--count", "2", "--out", str(out)]) == 0
    source = out / "my-gan-0-0001.png"
    capsys.readouterr()
    # Not installed: one line that names the model the recipe wants, and the way out.
    assert main(["render", str(source), "--out", str(tmp_path / "r"), "--device", "cpu"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'my-gan'" in err[0] and "--model" in err[0], err
    assert not (tmp_path / "r").exists()
    # With the file (moved since: the recipe has only the name), the same pixels.
    moved = tmp_path / "moved.safetensors"
    shutil.move(path, moved)
    argv = ["render", str(source), "--out", str(tmp_path / "r"), "--device", "cpu"]
    assert main([*argv, "--model", str(moved)]) == 0
    remade = tmp_path / "r" / "my-gan-0-0001-render.png"
    diff = np.abs(_pixels(remade).astype(int) - _pixels(source).astype(int))
    assert diff.max() <= 1  # see the batch-size note in tests/pipelines
    recipe = read_recipe(remade.read_bytes())
    assert recipe["model"] == "my-gan" and recipe["model_sha256"] == model_sha256(moved)
    capsys.readouterr()
    # A --model that does not exist is one line too.
    assert main([*argv, "--model", str(tmp_path / "nope.safetensors")]) == 1
    assert "No model file" in capsys.readouterr().err


def test_render_with_another_installed_model_warns(model_dir, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["generate", "--model", "tiny-gan", "--count", "1", "--out", str(out)]) == 0
    source = out / "tiny-gan-0-0000.png"
    other = save_tiny(tiny_gan(9), model_dir / "other-gan.safetensors", "other-gan")
    capsys.readouterr()
    argv = ["render", str(source), "--out", str(tmp_path / "r"), "--model", "other-gan"]
    assert main(argv) == 0
    assert "differs from the model that made this image" in capsys.readouterr().err
    recipe = read_recipe((tmp_path / "r" / "tiny-gan-0-0000-render.png").read_bytes())
    assert recipe["model"] == "other-gan" and recipe["model_sha256"] == model_sha256(other)
