"""Export from the window: files carry recipe and disclosure, names never clash silently."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QSlider, QSpinBox, QWidget
from pytestqt.qtbot import QtBot

from studio.imaging.metadata import DIGITAL_SOURCE_TYPE, read_recipe
from studio.ui import export_dialog
from studio.ui.export_dialog import ExportDialog, ExportOptions
from studio.ui.gallery_actions import GalleryActions
from studio.ui.window import MainWindow

from .helpers import gallery_of, keep_two, wait_for_frame

TASK_MS = 10_000


def drop_files(widget: QWidget, paths: list[Path]) -> None:
    """Drag files over ``widget`` and drop them, as a file manager would."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(QPoint(10, 10), *args)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(widget, QDropEvent(QPointF(10, 10), *args))


def export(qtbot: QtBot, actions: GalleryActions, options: ExportOptions, ids=None) -> list[Path]:
    with qtbot.waitSignal(actions.exports.exported, timeout=TASK_MS) as done:
        assert actions.exports.export(options, ids) is not None
    return done.args[0]


def test_export_png_then_drop_it_back_gives_the_recipe_and_the_pixels(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    actions = gallery_of(window)
    window.findChild(QSpinBox, "seedSpin").setValue(21)
    window.findChild(QSlider, "latentSlider1").setValue(-120)
    frame = wait_for_frame(qtbot, window)
    state = window.state
    [path] = export(qtbot, actions, ExportOptions(tmp_path / "out"))
    assert path.name == "tiny-gan-21.png"  # the canvas image has no gallery id: no "-"
    assert np.array_equal(np.asarray(Image.open(path).convert("RGB")), frame)
    recipe = read_recipe(path.read_bytes())
    assert recipe is not None and recipe["seed"] == 21 and recipe["edits"][1] == -1.2
    assert DIGITAL_SOURCE_TYPE.encode() in path.read_bytes()

    window.findChild(QSpinBox, "seedSpin").setValue(1)
    wait_for_frame(qtbot, window)
    with qtbot.waitSignal(actions.imported) as imported:
        drop_files(actions.panel.view.viewport(), [path])
    [item] = imported.args[0]
    assert item.recipe == {**recipe, "model": "tiny-gan"} and item.model == "tiny-gan"
    assert item.model_sha256 == recipe["model_sha256"] != ""
    assert actions.open_item(item.id)
    assert window.state == state
    assert np.array_equal(wait_for_frame(qtbot, window), frame)


def test_dropping_our_png_on_the_canvas_imports_and_opens_it(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    actions = gallery_of(window)
    window.findChild(QSpinBox, "seedSpin").setValue(8)
    frame = wait_for_frame(qtbot, window)
    [path] = export(qtbot, actions, ExportOptions(tmp_path, scale=2))
    window.findChild(QSpinBox, "seedSpin").setValue(9)
    wait_for_frame(qtbot, window)
    drop_files(window.canvas.viewport(), [path])
    assert actions.gallery.count() == 1 and window.state.seed == 8
    assert np.array_equal(wait_for_frame(qtbot, window), frame)


@pytest.mark.parametrize(("fmt", "suffix"), [("jpeg", ".jpg"), ("webp", ".webp")])
def test_jpeg_and_webp_carry_the_ai_disclosure(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, fmt: str, suffix: str
) -> None:
    actions = gallery_of(window)
    kept = [actions.keep()]
    window.findChild(QSpinBox, "seedSpin").setValue(4)
    wait_for_frame(qtbot, window)
    kept.append(actions.keep())
    ids = [k.id for k in kept if k is not None]
    paths = export(qtbot, actions, ExportOptions(tmp_path, fmt=fmt, scale=3, smooth=True), ids)
    assert [p.suffix for p in paths] == [suffix, suffix]
    assert [p.name for p in paths] == ["tiny-gan-0-1" + suffix, "tiny-gan-4-2" + suffix]
    for path in paths:
        data = path.read_bytes()
        assert DIGITAL_SOURCE_TYPE.encode() in data
        assert Image.open(path).size == (96, 96)
        recipe = read_recipe(data)
        assert recipe is not None and recipe["model"] == "tiny-gan"


def test_a_name_collision_asks_and_respects_the_answer(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    actions = gallery_of(window)
    target = tmp_path / "tiny-gan-0.png"
    target.write_bytes(b"mine")
    asked: list[list[str]] = []
    answer: dict[str, str | None] = {"value": "skip"}

    def ask(parent: object, folder: Path, existing: list[str]) -> str | None:
        asked.append(list(existing))
        return answer["value"]

    monkeypatch.setattr(export_dialog, "ask_conflict", ask)
    options = ExportOptions(tmp_path)
    assert export(qtbot, actions, options) == []
    assert asked == [["tiny-gan-0.png"]] and target.read_bytes() == b"mine"

    answer["value"] = "rename"
    [both] = export(qtbot, actions, options)
    assert both.name == "tiny-gan-0 (2).png" and target.read_bytes() == b"mine"

    answer["value"] = None  # cancel: nothing written, no task
    assert actions.exports.export(options) is None
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "tiny-gan-0 (2).png",
        "tiny-gan-0.png",
    ]

    answer["value"] = "overwrite"
    [replaced] = export(qtbot, actions, options)
    assert replaced == target and target.read_bytes()[:4] == b"\x89PNG"
    assert len(asked) == 4


def test_a_unicode_folder_and_a_bad_pattern(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    actions = gallery_of(window)
    folder = tmp_path / "Ausgabe – 画像 ✨"
    [path] = export(qtbot, actions, ExportOptions(folder, pattern="émoji {seed} {n}"))
    assert path.parent == folder.resolve() and path.name == "émoji 0 1.png"
    with qtbot.waitSignal(actions.problem) as problem:
        assert actions.exports.export(ExportOptions(folder, pattern="{nope}")) is None
    assert "{nope}" in problem.args[0]
    [inside] = export(qtbot, actions, ExportOptions(folder, pattern="../../{model}"))
    assert inside.parent == folder.resolve()  # never outside the folder


def test_the_export_dialog(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    dialog = ExportDialog(window, selected=0, has_current=True, settings=window.settings)
    qtbot.addWidget(dialog)
    assert (dialog.scale_spin.minimum(), dialog.scale_spin.maximum()) == (1, 16)
    formats = [dialog.format_combo.itemText(i) for i in range(dialog.format_combo.count())]
    assert formats == ["PNG", "JPEG", "WebP"]
    assert dialog.pattern_edit.text() == "{model}-{seed}-{id}"
    for field in ("{model}", "{seed}", "{id}", "{n}", "{title}"):
        assert field in dialog.pattern_edit.toolTip()
    assert dialog.current_radio.isChecked() and not dialog.selection_radio.isEnabled()
    dialog.folder_edit.setText(str(tmp_path / "x"))
    dialog.pattern_edit.setText("{bad")
    dialog.accept()
    assert not dialog.error.isHidden() and dialog.result() == 0
    assert "not valid" in dialog.error.text()
    dialog.pattern_edit.setText("{seed}")
    dialog.format_combo.setCurrentIndex(2)
    dialog.scale_spin.setValue(4)
    dialog.sampling.setCurrentIndex(1)
    dialog.accept()
    assert dialog.result() == 1
    assert dialog.options() == ExportOptions(tmp_path / "x", "webp", 4, True, "{seed}", False)
    again = ExportDialog(window, selected=3, has_current=True, settings=window.settings)
    qtbot.addWidget(again)
    assert again.folder_edit.text() == str(tmp_path / "x")  # remembered
    assert again.selection_radio.isChecked() and "3 selected" in again.selection_radio.text()


def test_contact_sheet_of_the_selection(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    actions = gallery_of(window)
    ids = []
    for seed in (0, 1, 2):
        window.findChild(QSpinBox, "seedSpin").setValue(seed)
        wait_for_frame(qtbot, window)
        item = actions.keep()
        assert item is not None
        ids.append(item.id)
    actions.panel.select_ids(ids)
    with qtbot.waitSignal(actions.exports.sheetSaved, timeout=TASK_MS) as saved:
        actions.exports.export_sheet(tmp_path / "sheet.png")
    path = saved.args[0]
    sheet = np.asarray(Image.open(path).convert("RGB"))
    assert sheet.shape == (2 * (128 + 12 + 2) + 2, 2 * (128 + 2) + 2, 3)  # 2×2 grid, captions
    assert DIGITAL_SOURCE_TYPE.encode() in path.read_bytes()
    newest = actions.gallery.image(ids[-1])  # in grid order: top-left is the newest, 4×
    assert np.array_equal(sheet[2 : 2 + 128 : 4, 2 : 2 + 128 : 4], newest)


def test_morph_of_two_kept_images(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    actions = gallery_of(window)
    first, second = keep_two(qtbot, window, 6)
    actions.gallery.keep(np.zeros((8, 8, 3), np.uint8), {"seed": 1}, model="tiny-vae")
    with qtbot.waitSignal(actions.problem) as problem:
        assert actions.exports.morph_dialog([first.id]) is None
    assert "at least two" in problem.args[0]
    vae = actions.gallery.ids(model="tiny-vae")[0]
    with qtbot.waitSignal(actions.problem) as problem:
        assert actions.exports.morph_dialog([first.id, vae]) is None
    assert "one model" in problem.args[0]

    dialog = actions.exports.morph_dialog([first.id, second.id])
    assert dialog is not None
    dialog.frames.setValue(6)
    dialog.loop.setCurrentIndex(dialog.loop.findData("pingpong"))
    dialog.path_edit.setText(str(tmp_path / "morph.gif"))
    with qtbot.waitSignal(actions.exports.morphSaved, timeout=TASK_MS) as saved:
        dialog.render_button.click()
    gif = Image.open(saved.args[0])
    assert gif.n_frames == 10 and gif.size == (32, 32)  # 6 there, 4 back
    assert dialog.progress.value() == 100
    first_frame = np.asarray(gif.convert("RGB"))
    assert np.abs(first_frame.astype(int) - actions.gallery.image(first.id)).mean() < 12
    dialog.close()
