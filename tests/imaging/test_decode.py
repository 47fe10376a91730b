"""Safe decoding: refusals with clear messages, and conversions of unusual modes to RGB."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from studio.imaging.decode import DecodeLimits, ImageError, decode_image, load_image


def _encode(img: Image.Image, fmt: str = "PNG", **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny, well-formed PNG whose header declares ``width`` × ``height`` pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 16)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def _noise(h: int = 48, w: int = 64, channels: int = 3, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (h, w, channels), dtype=np.uint8)


def test_plain_rgb_png_round_trips_exactly():
    rgb = _noise()
    d = decode_image(_encode(Image.fromarray(rgb)))
    assert d.rgb.dtype == np.uint8
    assert np.array_equal(d.rgb, rgb)
    assert d.conversions == []
    assert d.source_mode == "RGB"


def test_zero_bytes_refused():
    with pytest.raises(ImageError, match="empty"):
        decode_image(b"")


def test_not_an_image_refused():
    with pytest.raises(ImageError, match="not an image"):
        decode_image(b"hello, this is a text file and not a picture" * 10)


def test_truncated_png_refused():
    data = _encode(Image.fromarray(_noise(128, 128)))
    with pytest.raises(ImageError, match="corrupt or truncated"):
        decode_image(data[: len(data) // 2])


def test_file_larger_than_limit_refused():
    data = _encode(Image.fromarray(_noise()))
    with pytest.raises(ImageError, match="limit"):
        decode_image(data, limits=DecodeLimits(max_file_bytes=len(data) - 1))


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (100_000, 100_000),  # Pillow's own bomb error
        (10_000, 10_000),  # Pillow's bomb warning, turned into an error
        (9_000, 8_000),  # under Pillow's limit, over ours (64 megapixels)
        (20_000, 10),  # few pixels but too long a side
    ],
)
def test_decompression_bomb_refused_before_decoding(width, height):
    data = _png_claiming(width, height)
    assert len(data) < 200  # the danger is the declared size, not the file size
    with pytest.raises(ImageError, match="decompression bomb"):
        decode_image(data)


def test_custom_pixel_limit_applies():
    data = _encode(Image.fromarray(_noise(40, 40)))
    with pytest.raises(ImageError, match="decompression bomb"):
        decode_image(data, limits=DecodeLimits(max_pixels=40 * 40 - 1))
    assert decode_image(data, limits=DecodeLimits(max_pixels=40 * 40)).rgb.shape == (40, 40, 3)


def test_cmyk_jpeg_converted_to_rgb():
    cmyk = Image.new("CMYK", (24, 16), (0, 255, 255, 0))  # pure red in CMYK
    d = decode_image(_encode(cmyk, "JPEG", quality=95))
    assert d.source_mode == "CMYK"
    assert "CMYK to RGB" in d.conversions
    assert d.rgb.shape == (16, 24, 3)
    r, g, b = d.rgb.reshape(-1, 3).mean(0)
    assert r > 200 and g < 60 and b < 60


def test_16bit_grey_png_scaled_not_clipped():
    ramp = np.linspace(0, 65535, 64 * 32).reshape(32, 64).astype(np.uint16)
    img = Image.fromarray(ramp)
    assert img.mode == "I;16"
    d = decode_image(_encode(img))
    assert d.source_mode.startswith("I")
    assert "16-bit to 8-bit" in d.conversions
    assert d.rgb.shape == (32, 64, 3)
    assert np.array_equal(d.rgb[..., 0], d.rgb[..., 1])
    expected = np.rint(ramp / 65535 * 255).astype(np.uint8)
    assert np.abs(d.rgb[..., 0].astype(int) - expected).max() <= 1
    # Clipping instead of scaling would make most of the ramp white.
    assert d.rgb[..., 0].min() == 0 and d.rgb[..., 0].max() == 255
    assert 100 < d.rgb.mean() < 155


def test_palette_png_converted():
    pal = Image.new("P", (10, 6))
    pal.putpalette([0, 0, 0, 10, 200, 30] + [0] * (256 * 3 - 6))
    pal.paste(1, (0, 0, 5, 6))
    d = decode_image(_encode(pal))
    assert "palette to RGB" in d.conversions
    assert d.rgb.shape == (6, 10, 3)
    assert tuple(d.rgb[0, 0]) == (10, 200, 30)
    assert tuple(d.rgb[0, 9]) == (0, 0, 0)


def test_rgba_alpha_flattened_on_white():
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 0] = 255  # red everywhere
    rgba[0, 0, 3] = 0  # transparent → white
    rgba[0, 1, 3] = 255  # opaque → red
    rgba[0, 2, 3] = 128  # half → pink
    rgba[1:, :, 3] = 255
    d = decode_image(_encode(Image.fromarray(rgba, "RGBA")))
    assert "alpha flattened on background" in d.conversions
    assert d.alpha is None
    assert tuple(d.rgb[0, 0]) == (255, 255, 255)
    assert tuple(d.rgb[0, 1]) == (255, 0, 0)
    assert d.rgb[0, 2, 0] == 255 and 120 <= d.rgb[0, 2, 1] <= 130


def test_rgba_alpha_kept_when_no_background():
    rgba = np.full((3, 3, 4), 200, np.uint8)
    rgba[1, 1, 3] = 7
    d = decode_image(_encode(Image.fromarray(rgba, "RGBA")), background=None)
    assert d.alpha is not None and d.alpha[1, 1] == 7
    assert np.all(d.rgb == 200)


def test_greyscale_png_converted():
    grey = np.arange(48, dtype=np.uint8).reshape(6, 8)
    d = decode_image(_encode(Image.fromarray(grey)))
    assert "greyscale to RGB" in d.conversions
    assert np.array_equal(d.rgb[..., 2], grey)


def test_load_image_reads_files_and_reports_missing(tmp_path):
    rgb = _noise(8, 8)
    p = tmp_path / "a.png"
    Image.fromarray(rgb).save(p)
    assert np.array_equal(load_image(p).rgb, rgb)
    with pytest.raises(ImageError, match="Cannot read"):
        load_image(tmp_path / "missing.png")
