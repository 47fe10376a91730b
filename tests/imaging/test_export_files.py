"""Files the user exports follow the umask, like any program's output; names are tidy."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from studio.imaging.animation import mp4_available, save_gif, save_mp4
from studio.imaging.export import (
    DEFAULT_PATTERN,
    PATTERN_FIELDS,
    ExportError,
    ExportJob,
    counted,
    export_images,
    file_name,
    pattern_help,
)
from studio.imaging.files import write_file
from studio.imaging.grid import save_sheet
from studio.imaging.metadata import save_image

RECIPE = {"model": "tiny-gan", "seed": 1}


@pytest.fixture(params=[(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """Run the test under a umask; yields the mode a new file should get."""
    mask, mode = request.param
    old = os.umask(mask)
    try:
        yield mode
    finally:
        os.umask(old)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _img() -> np.ndarray:
    return np.full((8, 8, 3), 90, np.uint8)


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp"])
def test_images_follow_the_umask(tmp_path: Path, umask: int, suffix: str) -> None:
    assert mode_of(save_image(_img(), tmp_path / f"a{suffix}", RECIPE)) == umask


def test_exports_gifs_and_sheets_follow_the_umask(tmp_path: Path, umask: int) -> None:
    [exported] = export_images([ExportJob(_img(), RECIPE, {"n": 1})], tmp_path / "e", "png", "{n}")
    assert mode_of(exported) == umask
    assert mode_of(save_gif([_img(), _img()], tmp_path / "m.gif", recipe=RECIPE)) == umask
    assert mode_of(save_sheet([_img()], tmp_path / "s.png", [RECIPE])) == umask
    assert mode_of(write_file(tmp_path / "raw.bin", b"x")) == umask


@pytest.mark.skipif(not mp4_available(), reason="imageio-ffmpeg is not installed")
def test_mp4_follows_the_umask(tmp_path: Path, umask: int) -> None:
    assert mode_of(save_mp4([_img(), _img()], tmp_path / "m.mp4", recipe=RECIPE)) == umask


def test_a_failed_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    (tmp_path / "x.png").mkdir()  # the rename onto it fails
    with pytest.raises(OSError):
        save_image(_img(), tmp_path / "x.png")
    with pytest.raises(OSError):
        save_gif([_img()], tmp_path / "x.png")
    assert [p.name for p in tmp_path.iterdir()] == ["x.png"]


# ---------------------------------------------------------------- names


def test_the_default_pattern_uses_the_gallery_id() -> None:
    assert "{id}" in DEFAULT_PATTERN
    fields = {"model": "tiny-gan", "seed": 7, "id": 12, "n": 1, "title": ""}
    assert file_name(DEFAULT_PATTERN, fields) == "tiny-gan-7-12"


@pytest.mark.parametrize(
    ("pattern", "fields", "name"),
    [
        (DEFAULT_PATTERN, {"model": "image", "seed": "", "id": 3}, "image-3"),
        (DEFAULT_PATTERN, {"model": "image", "seed": None, "id": 3}, "image-3"),
        (DEFAULT_PATTERN, {"model": "tiny-gan", "seed": 5, "id": ""}, "tiny-gan-5"),
        (DEFAULT_PATTERN, {"model": "m", "seed": "", "id": ""}, "m"),
        ("{seed}_{model}", {"model": "m", "seed": ""}, "m"),
        ("{model} {seed} {n}", {"model": "m", "seed": "", "n": 2}, "m 2"),
        ("a--{seed}", {"seed": 4}, "a--4"),  # the user's own literal text stays
        ("{title}-{id}", {"title": "holiday", "id": 9}, "holiday-9"),
    ],
)
def test_an_empty_field_never_leaves_a_double_separator(
    pattern: str, fields: dict, name: str
) -> None:
    assert file_name(pattern, fields) == name


@pytest.mark.parametrize(
    "pattern", ["{}", "{0}", "{seed", "{seed!z}", "{nope}", "{seed:999999999}"]
)
def test_bad_patterns_are_one_plain_error(pattern: str) -> None:
    with pytest.raises(ExportError, match="pattern"):
        file_name(pattern, {"seed": 1, "model": "m"})


def test_counts_in_words() -> None:
    assert counted(1, "image") == "1 image"
    assert counted(0, "image") == "0 images"
    assert counted(3, "image") == "3 images"
    assert counted(2, "copy", "copies") == "2 copies"


def test_the_pattern_help_names_every_field() -> None:
    text = pattern_help()
    for field in PATTERN_FIELDS:
        assert "{" + field + "}" in text


def test_a_failed_export_counts_in_words(tmp_path: Path) -> None:
    jobs = [ExportJob(_img(), RECIPE, {"n": 1}), ExportJob(_img(), RECIPE, {"n": 2})]
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "2.png").mkdir()  # a folder where the second file should go
    with pytest.raises(ExportError) as info:
        export_images(jobs, folder, "png", "{n}", conflict="overwrite")
    assert "1 image written before this" in str(info.value)


FIELD_VALUES = st.one_of(st.none(), st.integers(-5, 10**6), st.text(max_size=30))


@given(
    pattern=st.text(max_size=40),
    values=st.fixed_dictionaries({k: FIELD_VALUES for k in PATTERN_FIELDS}),
)
def test_any_pattern_gives_a_safe_name_or_a_plain_error(pattern: str, values: dict) -> None:
    try:
        name = file_name(pattern, values)
    except ExportError as exc:
        assert "pattern" in str(exc)
        return
    assert name and "/" not in name and "\\" not in name and "\x00" not in name
    assert not name.startswith(".") and len(name) <= 120
