"""The gallery on the command line: tidy names, counts in words, --version, help for
every option, honest provenance and the umask for what it writes, scale for morphs
and contact sheets."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio import __version__
from studio.cli import main
from studio.cli.parser import build_parser
from studio.imaging.animation import mp4_available
from studio.imaging.export import PATTERN_FIELDS
from studio.imaging.provenance import TRAINED

needs_exiftool = pytest.mark.skipif(
    shutil.which("exiftool") is None, reason="exiftool is not installed"
)


def source_type(path: Path) -> str:
    return subprocess.run(
        ["exiftool", "-s3", "-XMP-iptcExt:DigitalSourceType", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    [action] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def _gallery(tmp_path: Path, capsys) -> tuple[int, list[int]]:
    """A gallery with one untouched photo and two tiny-gan images; their ids."""
    photo = tmp_path / "holiday.jpg"
    Image.fromarray(np.full((20, 30, 3), 120, np.uint8)).save(photo)
    gen = tmp_path / "gen"
    argv = ["generate", "--model", "tiny-gan", "--count", "2", "--seed", "3"]
    assert main([*argv, "--out", str(gen), "--device", "cpu"]) == 0
    assert main(["gallery", "import", str(photo), *sorted(map(str, gen.glob("*.png")))]) == 0
    capsys.readouterr()
    assert main(["gallery", "list", "--json"]) == 0
    items = json.loads(capsys.readouterr().out)
    plain = next(i["id"] for i in items if not i["model"])
    made = sorted(i["id"] for i in items if i["model"] == "tiny-gan")
    return plain, made


def test_version(capsys) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"latent-studio {__version__}"


def test_every_gallery_option_has_help() -> None:
    gallery = _subparsers(build_parser())["gallery"]
    actions = _subparsers(gallery)
    assert {"list", "export", "import", "morph", "sheet"} <= set(actions)
    for name, sub in actions.items():
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            assert action.help and action.help != argparse.SUPPRESS, (name, action.dest)


def test_the_pattern_fields_are_in_the_export_help(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["gallery", "export", "--help"])
    out = capsys.readouterr().out
    for field in PATTERN_FIELDS:
        assert "{" + field + "}" in out
    assert "{model}-{seed}-{id}" in out


@needs_exiftool
def test_export_names_counts_provenance_and_modes(model_dir, tmp_path: Path, capsys) -> None:
    plain, made = _gallery(tmp_path, capsys)
    old = os.umask(0o022)
    try:
        assert main(["gallery", "export", str(plain), "--out", str(tmp_path / "one")]) == 0
    finally:
        os.umask(old)
    assert capsys.readouterr().out.strip() == f"Exported 1 image to {tmp_path / 'one'}"
    [path] = (tmp_path / "one").iterdir()
    assert path.name == f"image-{plain}.png"  # the gallery id, and no "--" for no seed
    assert source_type(path) == ""  # an untouched import: no AI claim
    assert mode_of(path) == 0o644

    old = os.umask(0o077)
    try:
        argv = ["gallery", "export", *map(str, made), "--out", str(tmp_path / "two")]
        assert main([*argv, "--format", "webp"]) == 0
    finally:
        os.umask(old)
    assert "Exported 2 images" in capsys.readouterr().out
    names = sorted(p.name for p in (tmp_path / "two").iterdir())
    assert names == sorted(f"tiny-gan-3-{i}.webp" for i in made)
    for p in (tmp_path / "two").iterdir():
        assert source_type(p) == TRAINED and mode_of(p) == 0o600


def test_list_counts_in_words(model_dir, tmp_path: Path, capsys) -> None:
    photo = tmp_path / "a.png"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(photo)
    assert main(["gallery", "import", str(photo)]) == 0
    capsys.readouterr()
    assert main(["gallery", "list"]) == 0
    assert capsys.readouterr().err.strip() == "1 item"


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600)])
def test_generate_and_render_follow_the_umask(
    model_dir, tmp_path: Path, mask: int, mode: int
) -> None:
    old = os.umask(mask)
    try:
        argv = ["generate", "--model", "tiny-gan", "--count", "2", "--out", str(tmp_path / "g")]
        assert main([*argv, "--grid", str(tmp_path / "grid.png")]) == 0
        first = sorted((tmp_path / "g").glob("*.png"))[0]
        assert main(["render", str(first), "--out", str(tmp_path / "r"), "--device", "cpu"]) == 0
    finally:
        os.umask(old)
    made = [*(tmp_path / "g").glob("*.png"), tmp_path / "grid.png", *(tmp_path / "r").iterdir()]
    assert len(made) == 4
    for path in made:
        assert mode_of(path) == mode, path


@needs_exiftool
def test_generate_grid_still_says_ai(model_dir, tmp_path: Path) -> None:
    argv = ["generate", "--model", "tiny-gan", "--count", "2", "--out", str(tmp_path / "g")]
    assert main([*argv, "--grid", str(tmp_path / "grid.png")]) == 0
    assert source_type(tmp_path / "grid.png") == TRAINED


@needs_exiftool
def test_morph_scale_xmp_and_no_silent_overwrite(model_dir, tmp_path: Path, capsys) -> None:
    _, made = _gallery(tmp_path, capsys)
    gif = tmp_path / "morph.gif"
    argv = ["gallery", "morph", *map(str, made), "--frames", "3", "--loop", "once"]
    assert main([*argv, "--out", str(gif), "--scale", "2", "--device", "cpu"]) == 0
    assert capsys.readouterr().out.strip() == f"Wrote 3 frames to {gif}"
    with Image.open(gif) as img:
        assert img.size == (64, 64) and img.n_frames == 3  # tiny-gan draws 32 px
    assert source_type(gif) == TRAINED
    before = gif.read_bytes()
    assert main([*argv, "--out", str(gif), "--device", "cpu"]) == 1
    assert "--overwrite" in capsys.readouterr().err
    assert gif.read_bytes() == before
    assert main([*argv, "--out", str(gif), "--overwrite", "--smooth", "--device", "cpu"]) == 0
    with Image.open(gif) as img:
        assert img.size == (32, 32)
    assert main([*argv, "--out", str(tmp_path / "m.gif"), "--scale", "0"]) == 1
    assert "--scale" in capsys.readouterr().err


@needs_exiftool
@pytest.mark.skipif(not mp4_available(), reason="imageio-ffmpeg is not installed")
def test_morph_mp4_carries_xmp(model_dir, tmp_path: Path, capsys) -> None:
    _, made = _gallery(tmp_path, capsys)
    mp4 = tmp_path / "morph.mp4"
    argv = ["gallery", "morph", *map(str, made), "--frames", "2", "--out", str(mp4)]
    assert main([*argv, "--device", "cpu"]) == 0
    assert source_type(mp4) == TRAINED


@needs_exiftool
def test_contact_sheet_scale_and_provenance(model_dir, tmp_path: Path, capsys) -> None:
    plain, made = _gallery(tmp_path, capsys)
    sheet = tmp_path / "sheet.png"
    assert main(["gallery", "sheet", *map(str, made), "--out", str(sheet)]) == 0
    assert capsys.readouterr().out.strip() == f"Wrote a contact sheet of 2 images to {sheet}"
    assert source_type(sheet) == TRAINED
    with Image.open(sheet) as img:
        one = img.size
    big = tmp_path / "big.png"
    assert main(["gallery", "sheet", *map(str, made), "--out", str(big), "--scale", "3"]) == 0
    with Image.open(big) as img:
        assert img.size == (one[0] * 3, one[1] * 3)
    photo_sheet = tmp_path / "photo.png"
    assert main(["gallery", "sheet", str(plain), "--out", str(photo_sheet)]) == 0
    assert source_type(photo_sheet) == ""
    assert main(["gallery", "sheet", str(plain), "--out", str(photo_sheet)]) == 1
    assert "already exists" in capsys.readouterr().err


def test_scan_counts_in_words(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "one"
    folder.mkdir()
    Image.fromarray(np.full((32, 32, 3), 9, np.uint8)).save(folder / "a.png")
    assert main(["data", "scan", str(folder)]) == 0
    assert capsys.readouterr().out.startswith("1 image usable, 0 skipped")
