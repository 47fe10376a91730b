"""The data scan: one of each bad kind, conversions, classes; the folder is untouched."""

from __future__ import annotations

import hashlib
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.imaging.decode import DecodeLimits
from studio.training.dataset import DatasetError, load_folder
from studio.training.scan import scan_folder


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares a huge size but holds almost no data (a 'bomb')."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    end = struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND"))
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(ihdr))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
        + end
    )


def _tree_digest(root: Path) -> str:
    h = hashlib.sha1()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    root = tmp_path / "messy"
    root.mkdir()
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:48, 0:48]
    good = np.stack([xx * 5, yy * 5, (xx + yy) * 2], axis=-1).astype(np.uint8)  # smooth
    Image.fromarray(good).save(root / "good.png")
    Image.fromarray(good).save(root / "good_copy.png")  # exact duplicate (same pixels)
    Image.fromarray(good).save(root / "good_recompressed.jpg", quality=98)  # near duplicate
    other = rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)
    Image.fromarray(other).convert("CMYK").save(root / "cmyk.jpg")
    Image.fromarray((rng.integers(0, 65535, (32, 32))).astype(np.uint16)).save(root / "deep.png")
    Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).convert(
        "P", palette=Image.Palette.ADAPTIVE
    ).save(root / "palette.png")
    rgba = rng.integers(0, 256, (32, 32, 4), dtype=np.uint8)
    rgba[..., 3] = 0
    Image.fromarray(rgba).save(root / "alpha.png")
    Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)).save(root / "tiny.png")
    (root / "notes.txt").write_text("not a picture")
    full = (root / "good.png").read_bytes()
    (root / "truncated.png").write_bytes(full[: len(full) // 2])
    (root / "bomb.png").write_bytes(_png_header_only(50_000, 50_000))
    return root


def test_report_names_each_problem(messy: Path) -> None:
    before = _tree_digest(messy)
    report = scan_folder(messy, resolution=32, limits=DecodeLimits(max_pixels=10_000_000))
    reasons = {e.path: e.category for e in report.skipped}
    assert reasons == {
        "good_copy.png": "exact duplicate",
        "good_recompressed.jpg": "near duplicate",
        "tiny.png": "too small",
        "notes.txt": "not an image",
        "truncated.png": "corrupt or truncated",
        "bomb.png": "decompression bomb",
    }
    usable = {e.path for e in report.usable}
    assert usable == {"alpha.png", "cmyk.jpg", "deep.png", "good.png", "palette.png"}
    conversions = {e.path: e.conversions for e in report.usable}
    assert "CMYK to RGB" in conversions["cmyk.jpg"]
    assert "16-bit to 8-bit" in conversions["deep.png"]
    assert "palette to RGB" in conversions["palette.png"]
    assert "alpha flattened on background" in conversions["alpha.png"]
    assert report.images is not None and report.images.shape == (5, 32, 32, 3)
    # Transparent pixels land on the chosen background.
    alpha_index = [e.path for e in report.usable].index("alpha.png")
    assert (report.images[alpha_index] == 255).all()
    assert "skipped 1: decompression bomb" in report.summary()
    assert _tree_digest(messy) == before, "the scan must never modify the user's folder"


def test_background_colour_is_used(messy: Path) -> None:
    report = scan_folder(messy, resolution=16, background=(0, 0, 0))
    idx = [e.path for e in report.usable].index("alpha.png")
    assert report.images is not None and (report.images[idx] == 0).all()


def test_recoloured_variants_are_not_duplicates(tmp_path: Path) -> None:
    img = np.full((32, 32, 3), 255, np.uint8)
    img[8:24, 8:24] = (200, 150, 100)
    Image.fromarray(img).save(tmp_path / "a.png")
    img[8:24, 8:24] = (90, 60, 40)  # same shape, another colour: a different picture
    Image.fromarray(img).save(tmp_path / "b.png")
    report = scan_folder(tmp_path)
    assert len(report.usable) == 2


def test_subfolders_become_classes(tmp_path: Path) -> None:
    for cls in ("cats", "dogs"):
        (tmp_path / cls).mkdir()
        for i in range(3):
            arr = np.random.default_rng(hash(cls) % 1000 + i).integers(0, 256, (20, 20, 3))
            Image.fromarray(arr.astype(np.uint8)).save(tmp_path / cls / f"{i}.png")
    data = load_folder(tmp_path, 16, split="all", holdout=0)
    assert data.classes == ["cats", "dogs"]
    assert data.labels is not None and sorted(data.labels.tolist()) == [0, 0, 0, 1, 1, 1]
    assert all(
        p.startswith(data.classes[lab]) for p, lab in zip(data.paths, data.labels, strict=True)
    )


def test_a_folder_without_images_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("hello")
    with pytest.raises(DatasetError, match="No usable images"):
        load_folder(tmp_path, 32)


@pytest.mark.parametrize("policy", ["crop", "pad", "stretch"])
def test_resize_policies_give_model_sized_images(tmp_path: Path, policy: str) -> None:
    wide = np.zeros((20, 60, 3), np.uint8)
    wide[:, :20] = 255  # white left third
    Image.fromarray(wide).save(tmp_path / "wide.png")
    report = scan_folder(tmp_path, resolution=30, policy=policy)  # type: ignore[arg-type]
    assert report.images is not None
    img = report.images[0]
    assert img.shape == (30, 30, 3)
    if policy == "crop":  # centre third only: all black
        assert img.max() < 10
    if policy == "pad":  # padding rows on white, left third white
        assert (img[0] == 255).all() and img[15, 2].min() > 240
    if policy == "stretch":  # the white third is stretched to a third of the width
        assert img[15, 5].min() > 240 and img[15, 25].max() < 10
