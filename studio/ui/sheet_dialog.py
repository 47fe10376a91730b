"""File ▸ Export contact sheet…: where to write the sheet, and its scale and pixels,
the same choices a single export offers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from studio.imaging.export import counted
from studio.ui.export_dialog import ask_save_path, export_buttons, scale_controls
from studio.ui.naming import named


@dataclass(frozen=True)
class SheetOptions:
    """What the contact-sheet dialog asks for."""

    path: Path
    scale: int = 1
    smooth: bool = False


class SheetDialog(QDialog):
    """File, scale and pixels for a contact sheet of ``count`` images."""

    def __init__(self, parent: QWidget | None, suggested: Path, count: int) -> None:
        super().__init__(parent)
        self.setObjectName("sheetDialog")
        self.setWindowTitle("Export contact sheet")
        self.path_edit = named(QLineEdit(str(suggested)), "sheetPath")
        self.path_edit.setMinimumWidth(340)
        self.browse = named(QPushButton("Choose…"), "sheetBrowse")
        self.scale_spin, self.sampling = scale_controls("sheet")
        self.error = named(QLabel(""), "sheetError")
        self.error.setWordWrap(True)
        self.error.hide()
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(self.browse)
        form = QFormLayout(self)
        form.addRow("Sheet of", QLabel(counted(count, "image")))
        form.addRow("Scale", self.scale_spin)
        form.addRow("Pixels", self.sampling)
        form.addRow("File", path_row)
        form.addRow(self.error)
        form.addRow(export_buttons(self))
        self.browse.clicked.connect(self._choose)

    def options(self) -> SheetOptions:
        """What was chosen (the file always a .png)."""
        path = Path(self.path_edit.text().strip()).expanduser().with_suffix(".png")
        return SheetOptions(path, self.scale_spin.value(), bool(self.sampling.currentData()))

    def accept(self) -> None:
        """Close, unless no file is named."""
        if not self.path_edit.text().strip():
            self.error.setText("Choose a file to write the contact sheet to.")
            self.error.show()
            return
        super().accept()

    def _choose(self) -> None:
        path = ask_save_path(self, "Export contact sheet", self.options().path, "PNG (*.png)")
        if path is not None:
            self.path_edit.setText(str(path))


def ask_sheet_options(parent: QWidget | None, suggested: Path, count: int) -> SheetOptions | None:
    """The dialog's answer, or None if cancelled. Tests replace this function."""
    dialog = SheetDialog(parent, suggested, count)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.options()
