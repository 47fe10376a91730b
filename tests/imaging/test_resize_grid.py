"""fit_square policies and contact-sheet layout."""

from __future__ import annotations

import numpy as np
import pytest

from studio.imaging.grid import contact_sheet
from studio.imaging.resize import fit_square, scale_image


def _wide() -> np.ndarray:
    """A 20×40 image: left half red, right half blue."""
    img = np.zeros((20, 40, 3), np.uint8)
    img[:, :20] = (255, 0, 0)
    img[:, 20:] = (0, 0, 255)
    return img


@pytest.mark.parametrize("policy", ["crop", "pad", "stretch"])
@pytest.mark.parametrize("size", [16, 20, 64])
def test_fit_square_shapes(policy, size):
    out = fit_square(_wide(), size, policy=policy)
    assert out.shape == (size, size, 3)
    assert out.dtype == np.uint8


def test_pad_keeps_the_whole_picture_on_the_background():
    out = fit_square(_wide(), 40, policy="pad", background=(0, 255, 0))
    assert tuple(out[0, 0]) == (0, 255, 0)  # padding above
    assert tuple(out[-1, -1]) == (0, 255, 0)  # padding below
    assert tuple(out[20, 5]) == (255, 0, 0)
    assert tuple(out[20, 35]) == (0, 0, 255)


def test_crop_takes_the_centre():
    out = fit_square(_wide(), 20, policy="crop")
    # The centre 20×20 of the 40-wide image holds both colours, half each.
    assert tuple(out[10, 2]) == (255, 0, 0)
    assert tuple(out[10, 17]) == (0, 0, 255)
    assert not np.any(np.all(out == (255, 255, 255), axis=-1))  # no padding


def test_stretch_fills_without_background():
    out = fit_square(_wide(), 40, policy="stretch")
    assert tuple(out[0, 0]) == (255, 0, 0)
    assert tuple(out[39, 39]) == (0, 0, 255)


def test_unknown_policy_refused():
    with pytest.raises(ValueError, match="policy"):
        fit_square(_wide(), 8, policy="squash")  # type: ignore[arg-type]


def test_scale_image_nearest_repeats_pixels():
    img = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)
    out = scale_image(img, 3)
    assert out.shape == (6, 6, 3)
    assert np.array_equal(out[:3, :3], np.broadcast_to(img[0, 0], (3, 3, 3)))


@pytest.mark.parametrize(
    ("n", "columns", "rows", "cols"),
    [(4, None, 2, 2), (5, None, 2, 3), (7, 4, 2, 4), (3, 1, 3, 1), (1, None, 1, 1)],
)
def test_contact_sheet_layout_size(n, columns, rows, cols):
    h, w, gap = 10, 14, 2
    tiles = [np.full((h, w, 3), i * 20, np.uint8) for i in range(n)]
    sheet = contact_sheet(tiles, columns=columns, gap=gap)
    assert sheet.shape == (rows * (h + gap) + gap, cols * (w + gap) + gap, 3)
    # Tile i sits at its grid cell.
    for i in range(n):
        r, c = divmod(i, cols)
        y, x = gap + r * (h + gap), gap + c * (w + gap)
        assert np.all(sheet[y : y + h, x : x + w] == i * 20)


def test_contact_sheet_background_in_gaps_and_captions_add_rows():
    tiles = [np.full((8, 8, 3), 255, np.uint8)] * 2
    sheet = contact_sheet(tiles, columns=2, gap=3, background=(1, 2, 3))
    assert tuple(sheet[0, 0]) == (1, 2, 3)
    captioned = contact_sheet(tiles, columns=2, gap=3, captions=["a", "b"])
    assert captioned.shape[0] > sheet.shape[0]
    assert captioned.shape[1] == sheet.shape[1]


def test_contact_sheet_needs_images():
    with pytest.raises(ValueError):
        contact_sheet([])
