"""Honest provenance: the DigitalSourceType follows what happened to the picture, in
every format the studio writes (PNG, JPEG, WebP, GIF, MP4), as exiftool reads it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.gallery import Gallery
from studio.gallery.recipes import export_job
from studio.imaging.animation import (
    GIF_XMP_TRAILER,
    gif_with_xmp,
    mp4_available,
    save_gif,
    save_mp4,
    scaled_frames,
)
from studio.imaging.export import ExportJob, export_images
from studio.imaging.grid import save_sheet
from studio.imaging.metadata import save_image
from studio.imaging.provenance import (
    COMPOSITE,
    TRAINED,
    combined_source_type,
    digital_source_type,
)

MODEL_RECIPE = {"version": 1, "model": "tiny-gan", "seed": 4, "truncation": 1.0}
needs_exiftool = pytest.mark.skipif(
    shutil.which("exiftool") is None, reason="exiftool is not installed"
)
needs_mp4 = pytest.mark.skipif(not mp4_available(), reason="imageio-ffmpeg is not installed")


def source_type(path: Path) -> str:
    """What exiftool reads as the IPTC DigitalSourceType ("" when there is none)."""
    return subprocess.run(
        ["exiftool", "-s3", "-XMP-iptcExt:DigitalSourceType", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def _photo(seed: int = 0, size: int = 24) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)


def _frames(n: int = 5, size: int = 17) -> list[np.ndarray]:
    return [np.full((size, size, 3), i * 50, np.uint8) for i in range(n)]


# ---------------------------------------------------------------- the rule


@pytest.mark.parametrize(
    ("recipe", "expected"),
    [
        (None, None),  # a plain import: the studio did not make it
        ({"kind": "import", "sha256": "ab"}, None),
        (MODEL_RECIPE, TRAINED),
        ({**MODEL_RECIPE, "kind": "latent"}, TRAINED),
        ({**MODEL_RECIPE, "kind": "a-tool-not-known-yet"}, TRAINED),  # errs towards AI
        ({"model": "colorizer", "kind": "colorize", "input": "ab"}, COMPOSITE),
        ({"model": "tiny-gan", "kind": "project"}, COMPOSITE),
        ({"model": "upscaler", "kind": "upscale"}, COMPOSITE),
        ({"morph": [MODEL_RECIPE, MODEL_RECIPE], "frames": 4}, TRAINED),
        ({"morph": [MODEL_RECIPE, {"model": "tiny-gan", "kind": "project"}]}, COMPOSITE),
        ([1, 2], None),  # not a recipe at all
    ],
)
def test_the_one_rule(recipe: object, expected: str | None) -> None:
    assert digital_source_type(recipe) == expected  # type: ignore[arg-type]


def test_a_picture_of_many_pictures() -> None:
    assert combined_source_type([MODEL_RECIPE, MODEL_RECIPE]) == TRAINED
    assert combined_source_type([None, {"kind": "import"}]) is None
    assert combined_source_type([MODEL_RECIPE, None]) == COMPOSITE
    assert combined_source_type([]) is None


# ---------------------------------------------------------------- stills


@needs_exiftool
@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
def test_export_of_an_untouched_import_makes_no_ai_claim(tmp_path: Path, fmt: str) -> None:
    photo = tmp_path / "holiday.jpg"
    Image.fromarray(_photo()).save(photo, quality=95)
    gallery = Gallery(tmp_path / "gallery")
    item = gallery.import_file(photo)
    assert item.recipe is None and item.model == ""
    # The gallery's own copy makes no claim either.
    assert source_type(gallery.images / item.file) == ""
    [path] = export_images([export_job(item, gallery.image(item.id))], tmp_path / "out", fmt)
    data = path.read_bytes()
    assert source_type(path) == ""
    assert b"DigitalSourceType" not in data and b"AI-generated" not in data
    assert path.name == f"image-{item.id}{path.suffix}"  # no "--" for the missing seed
    gallery.close()


@needs_exiftool
def test_a_latent_studio_png_imported_with_its_recipe_is_still_model_made(
    tmp_path: Path,
) -> None:
    made = save_image(_photo(1), tmp_path / "made.png", MODEL_RECIPE)
    assert source_type(made) == TRAINED
    gallery = Gallery(tmp_path / "gallery")
    item = gallery.import_file(made)
    assert item.model == "tiny-gan" and item.recipe is not None
    assert source_type(gallery.images / item.file) == TRAINED
    [path] = export_images([export_job(item, gallery.image(item.id))], tmp_path / "out", "jpeg")
    assert source_type(path) == TRAINED
    assert path.name == f"tiny-gan-4-{item.id}.jpg"
    gallery.close()


@needs_exiftool
def test_a_composite_recipe_says_composite(tmp_path: Path) -> None:
    recipe = {"model": "colorizer", "kind": "colorize", "input": "ab12"}
    [path] = export_images([ExportJob(_photo(), recipe, {"n": 1})], tmp_path, "webp", "{n}")
    assert source_type(path) == COMPOSITE


# ---------------------------------------------------------------- GIF and MP4


def test_gif_xmp_block_is_as_adobe_specifies_and_readers_still_see_every_frame(
    tmp_path: Path,
) -> None:
    assert len(GIF_XMP_TRAILER) == 258
    assert GIF_XMP_TRAILER[:3] == b"\x01\xff\xfe" and GIF_XMP_TRAILER[-3:] == b"\x01\x00\x00"
    path = save_gif(_frames(), tmp_path / "m.gif", fps=10, recipe=MODEL_RECIPE)
    data = path.read_bytes()
    assert data[:6] == b"GIF89a"
    start = data.index(b"\x21\xff\x0bXMP DataXMP")
    assert data.index(GIF_XMP_TRAILER, start) > start
    with Image.open(path) as img:
        assert img.n_frames == 5 and img.info["loop"] == 0
        img.seek(4)
        assert np.asarray(img.convert("RGB"))[0, 0].tolist() == [200, 200, 200]
    with pytest.raises(ValueError, match="GIF"):
        gif_with_xmp(b"PNG", b"<x/>")


@needs_exiftool
def test_exiftool_reads_the_digital_source_type_of_a_gif(tmp_path: Path) -> None:
    morph = {"morph": [MODEL_RECIPE, {**MODEL_RECIPE, "seed": 5}], "frames": 5}
    path = save_gif(_frames(), tmp_path / "m.gif", recipe=morph)
    assert source_type(path) == TRAINED
    out = subprocess.run(
        ["exiftool", "-s3", "-XMP-ls:Recipe", str(path)], capture_output=True, text=True
    ).stdout
    assert '"morph"' in out
    plain = save_gif(_frames(), tmp_path / "plain.gif")  # no recipe: no claim
    assert source_type(plain) == ""
    assert b"AI-generated" not in plain.read_bytes()


@needs_exiftool
@needs_mp4
def test_exiftool_reads_the_digital_source_type_of_an_mp4(tmp_path: Path) -> None:
    import imageio_ffmpeg

    path = save_mp4(_frames(), tmp_path / "m.mp4", fps=12, recipe=MODEL_RECIPE)
    assert source_type(path) == TRAINED
    reader = imageio_ffmpeg.read_frames(str(path))
    assert tuple(next(reader)["size"]) == (18, 18)  # still a playable movie
    assert sum(1 for _ in reader) == 5
    assert [p.name for p in tmp_path.iterdir()] == ["m.mp4"]  # no temporary file left
    plain = save_mp4(_frames(), tmp_path / "plain.mp4")
    assert source_type(plain) == ""


def test_frames_scale_crisp_or_smooth_and_too_large_is_refused() -> None:
    frames = [_photo(i, 8) for i in range(3)]
    crisp = scaled_frames(frames, 3)
    assert crisp[0].shape == (24, 24, 3)
    assert np.array_equal(crisp[1][::3, ::3], frames[1])
    smooth = scaled_frames(frames, 3, smooth=True)
    assert smooth[0].shape == (24, 24, 3) and not np.array_equal(smooth[0], crisp[0])
    with pytest.raises(ValueError, match="scale"):
        scaled_frames(frames, 0)
    with pytest.raises(ValueError, match="smaller scale"):
        scaled_frames([np.zeros((512, 512, 3), np.uint8)] * 100, 8)


# ---------------------------------------------------------------- contact sheets


@needs_exiftool
def test_a_sheet_says_what_its_pictures_are(tmp_path: Path) -> None:
    images = [_photo(i, 32) for i in range(3)]
    made = save_sheet(images, tmp_path / "made.png", [MODEL_RECIPE] * 3, ["a", "b", "c"])
    assert source_type(made) == TRAINED
    plain = save_sheet(images, tmp_path / "plain.png", [None] * 3)
    assert source_type(plain) == ""
    mixed = save_sheet(images, tmp_path / "mixed.png", [MODEL_RECIPE, None, None])
    assert source_type(mixed) == COMPOSITE


def test_a_sheet_scales_like_a_single_export(tmp_path: Path) -> None:
    images = [_photo(i, 32) for i in range(4)]
    one = np.asarray(Image.open(save_sheet(images, tmp_path / "1.png", [None] * 4)))
    two = np.asarray(Image.open(save_sheet(images, tmp_path / "2.png", [None] * 4, scale=2)))
    assert two.shape == (one.shape[0] * 2, one.shape[1] * 2, 3)
    assert np.array_equal(two[::2, ::2], one)  # crisp: every pixel a 2×2 square
    soft = save_sheet(images, tmp_path / "s.png", [None] * 4, scale=2, smooth=True)
    assert not np.array_equal(np.asarray(Image.open(soft)), two)
    with pytest.raises(ValueError, match="too large"):
        save_sheet(images * 64, tmp_path / "huge.png", [None] * 256, scale=64)
    assert not (tmp_path / "huge.png").exists()
