"""studio.app without a window: images, session state, and the layer rules."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage

from studio.app.images import array_to_qimage, qimage_to_array
from studio.app.session import MAX_SEED, SessionState
from studio.engine.requests import RenderLatent

STUDIO = Path(__file__).resolve().parents[2] / "studio"


@pytest.mark.parametrize("width", [1, 5, 7, 32, 33])
def test_rgb_roundtrip_with_padded_rows(width: int) -> None:
    rng = np.random.default_rng(width)
    arr = rng.integers(0, 256, (3, width, 3), dtype=np.uint8)
    image = array_to_qimage(arr)
    assert image.format() == QImage.Format.Format_RGB888
    assert (image.width(), image.height()) == (width, 3)
    assert image.bytesPerLine() >= width * 3  # Qt pads rows to 4 bytes
    assert np.array_equal(qimage_to_array(image), arr)
    assert image.pixelColor(0, 0).getRgb()[:3] == tuple(int(v) for v in arr[0, 0])


def test_qimage_owns_its_pixels() -> None:
    arr = np.full((4, 4, 3), 10, np.uint8)
    image = array_to_qimage(arr)
    arr[:] = 200  # the source changes (or is freed): the image must not
    assert qimage_to_array(image)[0, 0, 0] == 10
    out = qimage_to_array(image)
    out[:] = 0
    assert qimage_to_array(image)[0, 0, 0] == 10


def test_non_contiguous_grey_and_rgba() -> None:
    base = np.arange(6 * 8 * 3, dtype=np.uint8).reshape(6, 8, 3)
    view = base[:, ::2]  # not contiguous
    assert np.array_equal(qimage_to_array(array_to_qimage(view)), view)
    grey = np.arange(20, dtype=np.uint8).reshape(4, 5)
    assert np.array_equal(qimage_to_array(array_to_qimage(grey))[..., 0], grey)
    rgba = np.zeros((2, 3, 4), np.uint8)
    rgba[..., 0] = 255
    rgba[..., 3] = 255
    assert np.array_equal(qimage_to_array(array_to_qimage(rgba)), rgba[..., :3])


def test_bad_images_are_refused() -> None:
    with pytest.raises(ValueError):
        array_to_qimage(np.zeros((2, 2, 3), np.float32))
    with pytest.raises(ValueError):
        array_to_qimage(np.zeros((2, 2, 2), np.uint8))
    with pytest.raises(ValueError):
        qimage_to_array(QImage())


def test_session_request_and_json_roundtrip() -> None:
    state = SessionState("tiny-gan", 42, 0.7, (0.5, -1.25) + (0.0,) * 10, (2, 5))
    req = state.to_request()
    assert isinstance(req, RenderLatent)
    assert (req.model, req.seed, req.truncation, req.edits, req.layers) == (
        "tiny-gan",
        42,
        0.7,
        state.edits,
        (2, 5),
    )
    assert SessionState.from_dict(state.to_dict()) == state
    assert state.with_edit(1, 2.0).edits[:2] == (0.5, 2.0)


def test_session_from_damaged_dict_is_clamped_or_refused() -> None:
    state = SessionState.from_dict(
        {"model": "m", "seed": -5, "truncation": 9, "edits": [7, -7], "layers": [5, 2]}
    )
    assert state.seed == 0 and state.truncation == 2.0
    assert state.edits[:2] == (3.0, -3.0) and len(state.edits) == 12
    assert state.layers is None
    assert SessionState.from_dict({"model": "m", "seed": 2**40}).seed == MAX_SEED
    with pytest.raises((KeyError, ValueError, TypeError)):
        SessionState.from_dict({"seed": 1})
    for not_a_state in ([1, 2], "text", {"model": "m", "grid": [1, 1, 5]}):
        with pytest.raises(ValueError):
            SessionState.from_dict(not_a_state)  # type: ignore[arg-type]


def _imports(folder: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in folder.rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
        found[str(path.relative_to(STUDIO))] = names
    return found


def test_qt_layers_never_import_torch_and_app_has_no_widgets() -> None:
    for folder in ("app", "ui"):
        for path, names in _imports(STUDIO / folder).items():
            assert not any(n == "torch" or n.startswith("torch.") for n in names), path
    for path, names in _imports(STUDIO / "app").items():
        assert not any("QtWidgets" in n for n in names), path
