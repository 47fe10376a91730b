"""A model file with a malformed header reaches the picker as an unusable entry."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QComboBox
from pytestqt.qtbot import QtBot

from studio.models.catalog import user_model_dir
from tests.models.test_hostile_models import write_bad_header

from .helpers import open_window, wait_for_frame


def test_a_bad_header_is_an_unusable_entry_not_an_exception(qtbot: QtBot, model_dir: Path) -> None:
    write_bad_header(user_model_dir(), "bad", None)
    window = open_window(qtbot)
    combo = window.findChild(QComboBox, "modelCombo")
    names = [combo.itemData(i) for i in range(combo.count())]
    assert names == ["tiny-gan", "tiny-vae", "bad"]
    index = names.index("bad")
    assert combo.itemText(index) == "bad (unusable)"
    model = combo.model()
    assert isinstance(model, QStandardItemModel)
    assert not model.item(index).isEnabled()
    tip = combo.itemData(index, Qt.ItemDataRole.ToolTipRole)
    assert "cannot be used" in tip and "data_offsets null" in tip
    frame = wait_for_frame(qtbot, window)  # the good models still draw
    assert frame.shape == (32, 32, 3) and frame.std() > 1.0
    window.close()
