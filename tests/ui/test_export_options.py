"""Exports from the window: morphs and contact sheets scale as single exports do, counts
are in words, and an untouched import exported again makes no AI claim."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtWidgets import QComboBox, QSpinBox
from pytestqt.qtbot import QtBot

from studio.imaging.metadata import DIGITAL_SOURCE_TYPE
from studio.ui import sheet_dialog
from studio.ui.export_dialog import ExportOptions, ask_conflict
from studio.ui.sheet_dialog import SheetDialog, SheetOptions
from studio.ui.window import MainWindow

from .helpers import gallery_of, keep_two, wait_for_frame

TASK_MS = 10_000


def test_exporting_an_untouched_import_makes_no_ai_claim(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    actions = gallery_of(window)
    photo = tmp_path / "holiday.png"
    Image.fromarray(np.full((20, 30, 3), 77, np.uint8)).save(photo)
    item = actions.gallery.import_file(photo)
    with qtbot.waitSignal(actions.exports.exported, timeout=TASK_MS) as done:
        assert actions.exports.export(ExportOptions(tmp_path / "out"), [item.id]) is not None
    [path] = done.args[0]
    assert path.name == f"image-{item.id}.png"
    data = path.read_bytes()
    assert b"DigitalSourceType" not in data and b"AI-generated" not in data
    assert window.status.currentMessage() == f"Exported 1 image to {path.parent}"


def test_a_contact_sheet_scales_crisp_or_smooth(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    actions = gallery_of(window)
    first, second = keep_two(qtbot, window, 3)
    ids = [first.id, second.id]
    with qtbot.waitSignal(actions.exports.sheetSaved, timeout=TASK_MS) as saved:
        actions.exports.export_sheet(tmp_path / "one.png", ids)
    one = np.asarray(Image.open(saved.args[0]).convert("RGB"))
    with qtbot.waitSignal(actions.exports.sheetSaved, timeout=TASK_MS) as saved:
        actions.exports.export_sheet(tmp_path / "two.png", ids, scale=2)
    two = np.asarray(Image.open(saved.args[0]).convert("RGB"))
    assert two.shape == (one.shape[0] * 2, one.shape[1] * 2, 3)
    assert np.array_equal(two[::2, ::2], one)
    assert DIGITAL_SOURCE_TYPE.encode() in saved.args[0].read_bytes()


def test_the_sheet_dialog_asks_for_file_scale_and_pixels(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = SheetDialog(window, tmp_path / "sheet.png", 1)
    qtbot.addWidget(dialog)
    assert dialog.findChild(QSpinBox, "sheetScale").maximum() == 16
    assert dialog.findChild(QComboBox, "sheetSampling").count() == 2
    dialog.path_edit.setText("")
    dialog.accept()
    assert not dialog.error.isHidden() and dialog.result() == 0
    dialog.path_edit.setText(str(tmp_path / "s.jpg"))
    dialog.scale_spin.setValue(3)
    dialog.sampling.setCurrentIndex(1)
    assert dialog.options() == SheetOptions(tmp_path / "s.png", 3, True)

    actions = gallery_of(window)
    item = actions.keep()
    assert item is not None
    actions.panel.select_ids([item.id])
    asked: list[int] = []

    def ask(parent: object, suggested: Path, count: int) -> SheetOptions:
        asked.append(count)
        return SheetOptions(tmp_path / "asked.png", 2, False)

    monkeypatch.setattr(sheet_dialog, "ask_sheet_options", ask)
    with qtbot.waitSignal(actions.exports.sheetSaved, timeout=TASK_MS) as saved:
        actions.exports.export_sheet()
    assert asked == [1] and saved.args[0] == tmp_path / "asked.png"
    assert Image.open(saved.args[0]).size == (2 * (128 + 4), 2 * (128 + 12 + 4))


def test_a_morph_scales_like_a_single_export(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    actions = gallery_of(window)
    first, second = keep_two(qtbot, window, 6)
    dialog = actions.exports.morph_dialog([first.id, second.id])
    assert dialog is not None
    assert dialog.status.text() == "2 images of tiny-gan"
    dialog.frames.setValue(3)
    dialog.loop.setCurrentIndex(dialog.loop.findData("once"))
    dialog.findChild(QSpinBox, "morphScale").setValue(3)
    sampling = dialog.findChild(QComboBox, "morphSampling")
    assert [sampling.itemText(i) for i in range(sampling.count())] == [
        "Crisp (nearest)",
        "Smooth",
    ]
    dialog.path_edit.setText(str(tmp_path / "morph.gif"))
    with qtbot.waitSignal(actions.exports.morphSaved, timeout=TASK_MS) as saved:
        dialog.render_button.click()
    data = saved.args[0].read_bytes()
    assert b"XMP DataXMP" in data and DIGITAL_SOURCE_TYPE.encode() in data
    with Image.open(saved.args[0]) as gif:
        assert gif.size == (96, 96) and gif.n_frames == 3
        frame = np.asarray(gif.convert("RGB"))
    assert np.array_equal(frame[::3, ::3].repeat(3, 0).repeat(3, 1), frame)  # crisp
    dialog.close()
    wait_for_frame(qtbot, window)


def test_one_existing_file_is_one_file_that_exists(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QMessageBox

    texts: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: texts.append(box.text()) or 0)
    assert ask_conflict(window, tmp_path, ["a.png"]) is None
    assert ask_conflict(window, tmp_path, ["a.png", "b.png"]) is None
    assert texts == [
        f"1 file already exists in {tmp_path}:",
        f"2 files already exist in {tmp_path}:",
    ]
