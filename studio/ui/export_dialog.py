"""File ▸ Export…: the dialog, the overwrite question, and the export itself.

Files are written by :func:`studio.imaging.export.export_images` (recipe and AI
disclosure embedded, names that never leave the folder) on a pool thread. Before
anything is written the names are planned, and if any exist the person is asked once:
Replace, Keep both or Skip.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, QStandardPaths
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QWidget,
)

from studio.app.tasks import Task
from studio.imaging.export import (
    DEFAULT_PATTERN,
    PATTERN_FIELDS,
    Conflict,
    ExportError,
    ExportJob,
    counted,
    export_images,
    planned_names,
)
from studio.ui.naming import named

FORMATS = (("PNG", "png"), ("JPEG", "jpeg"), ("WebP", "webp"))
MAX_SCALE = 16
FOLDER_KEY = "export/folder"


def scale_controls(prefix: str) -> tuple[QSpinBox, QComboBox]:
    """The scale (1–16×) and pixels (crisp or smooth) controls every export dialog has,
    named ``{prefix}Scale`` and ``{prefix}Sampling``; the sampling's data is ``smooth``."""
    spin = named(QSpinBox(), f"{prefix}Scale")
    spin.setRange(1, MAX_SCALE)
    spin.setSuffix("×")
    spin.setToolTip("Enlarge by a whole number, so every pixel stays a square")
    sampling = named(QComboBox(), f"{prefix}Sampling")
    sampling.addItem("Crisp (nearest)", False)
    sampling.addItem("Smooth", True)
    return spin, sampling


def export_buttons(dialog: QDialog) -> QDialogButtonBox:
    """Export and Cancel, wired to ``dialog``'s accept and reject."""
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


def pattern_tooltip() -> str:
    """The file-name fields, one a line, for the pattern box."""
    return "Fields:\n" + "\n".join(f"{{{k}}}: {v}" for k, v in PATTERN_FIELDS.items())


@dataclass(frozen=True)
class ExportOptions:
    """What the export dialog asks for."""

    folder: Path
    fmt: str = "png"
    scale: int = 1
    smooth: bool = False
    pattern: str = DEFAULT_PATTERN
    selection: bool = False  # the selected gallery items, else the canvas image


def default_folder(settings: QSettings | None = None) -> Path:
    """The last export folder, else the user's Pictures folder."""
    if settings is not None:
        saved = str(settings.value(FOLDER_KEY, "") or "")
        if saved:
            return Path(saved)
    pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
    return Path(pictures or Path.home()) / "Latent Studio"


def ask_conflict(parent: QWidget | None, folder: Path, existing: Sequence[str]) -> Conflict | None:
    """Ask what to do about files that exist: "overwrite", "rename", "skip", or None
    (cancel). Tests replace this function."""
    shown = "\n".join(existing[:8]) + (
        f"\n… and {len(existing) - 8} more" if len(existing) > 8 else ""
    )
    box = QMessageBox(parent)
    box.setObjectName("exportConflictBox")
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Files already exist")
    verb = "exists" if len(existing) == 1 else "exist"
    box.setText(f"{counted(len(existing), 'file')} already {verb} in {folder}:")
    box.setInformativeText(shown)
    replace = box.addButton("Replace", QMessageBox.ButtonRole.DestructiveRole)
    both = box.addButton("Keep both", QMessageBox.ButtonRole.AcceptRole)
    skip = box.addButton("Skip", QMessageBox.ButtonRole.ActionRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(both)
    box.exec()
    answers: dict[object, Conflict] = {replace: "overwrite", both: "rename", skip: "skip"}
    return answers.get(box.clickedButton())


def ask_save_path(parent: QWidget | None, title: str, suggested: Path, filters: str) -> Path | None:
    """A file to write, from the save dialog (None if cancelled). Tests replace this."""
    name, _ = QFileDialog.getSaveFileName(parent, title, str(suggested), filters)
    return Path(name) if name else None


def free_path(path: Path) -> Path:
    """``path``, or ``name (2).ext``… if it exists (the "Keep both" answer for one file)."""
    candidate, i = path, 2
    while candidate.exists():
        candidate = path.with_name(f"{path.stem} ({i}){path.suffix}")
        i += 1
    return candidate


def settle_path(parent: QWidget | None, path: Path) -> Path | None:
    """Where to write one file, asking first if it exists (None: do not write)."""
    if not path.exists():
        return path
    answer = ask_conflict(parent, path.parent, [path.name])
    if answer == "overwrite":
        return path
    if answer == "rename":
        return free_path(path)
    return None


def start_export(
    parent: QWidget | None, jobs: Sequence[ExportJob], options: ExportOptions
) -> Task | None:
    """Plan the names, ask about existing files, then export on a pool thread.

    Returns the running task (its ``done`` carries the written paths), or None if the
    person cancelled. Raises ExportError for a bad pattern or format.
    """
    folder = options.folder.expanduser()
    names = planned_names(jobs, options.fmt, options.pattern)
    existing = sorted({n for n in names if (folder / n).exists()})
    conflict: Conflict = "rename"
    if existing:
        answer = ask_conflict(parent, folder, existing)
        if answer is None:
            return None
        conflict = answer
    work = list(jobs)

    def run(progress: Callable[[float], None]) -> list[Path]:
        return export_images(
            work,
            folder,
            fmt=options.fmt,
            pattern=options.pattern,
            scale=options.scale,
            smooth=options.smooth,
            conflict=conflict,
            progress=progress,
        )

    return Task(run)


class ExportDialog(QDialog):
    """Format, scale, sampling, folder, file-name pattern, and what to export."""

    def __init__(
        self,
        parent: QWidget | None,
        selected: int,
        has_current: bool,
        settings: QSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("exportDialog")
        self.setWindowTitle("Export images")
        self.settings = settings
        self.format_combo = named(QComboBox(), "exportFormat")
        for label, fmt in FORMATS:
            self.format_combo.addItem(label, fmt)
        self.scale_spin, self.sampling = scale_controls("export")
        self.folder_edit = named(QLineEdit(str(default_folder(settings))), "exportFolder")
        self.folder_edit.setMinimumWidth(340)
        self.browse = named(QPushButton("Choose…"), "exportBrowse")
        self.pattern_edit = named(QLineEdit(DEFAULT_PATTERN), "exportPattern")
        self.pattern_edit.setToolTip(pattern_tooltip())
        self.current_radio = named(QRadioButton("The image on the canvas"), "exportCurrent")
        self.selection_radio = named(
            QRadioButton(f"The {selected} selected gallery image{'s' if selected != 1 else ''}"),
            "exportSelection",
        )
        self.current_radio.setEnabled(has_current)
        self.selection_radio.setEnabled(selected > 0)
        (self.selection_radio if selected > 0 else self.current_radio).setChecked(True)
        self.error = named(QLabel(""), "exportError")
        self.error.setWordWrap(True)
        self.error.hide()

        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(self.browse)
        form = QFormLayout(self)
        form.addRow("Export", self.current_radio)
        form.addRow("", self.selection_radio)
        form.addRow("Format", self.format_combo)
        form.addRow("Scale", self.scale_spin)
        form.addRow("Pixels", self.sampling)
        form.addRow("Folder", folder_row)
        form.addRow("File names", self.pattern_edit)
        form.addRow(self.error)
        form.addRow(export_buttons(self))
        self.browse.clicked.connect(self._choose_folder)

    def options(self) -> ExportOptions:
        """What was chosen."""
        return ExportOptions(
            folder=Path(self.folder_edit.text().strip()).expanduser(),
            fmt=str(self.format_combo.currentData()),
            scale=self.scale_spin.value(),
            smooth=bool(self.sampling.currentData()),
            pattern=self.pattern_edit.text().strip() or DEFAULT_PATTERN,
            selection=self.selection_radio.isChecked(),
        )

    def accept(self) -> None:
        """Check the folder and pattern, remember the folder, close."""
        options = self.options()
        if not self.folder_edit.text().strip():
            self._fail("Choose a folder to export to.")
            return
        try:
            planned_names(
                [
                    ExportJob(
                        np.zeros((1, 1, 3), np.uint8), None, dict.fromkeys(PATTERN_FIELDS, "1")
                    )
                ],
                options.fmt,
                options.pattern,
            )
        except ExportError as exc:
            self._fail(str(exc))
            return
        if self.settings is not None:
            self.settings.setValue(FOLDER_KEY, str(options.folder))
        super().accept()

    def _fail(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export to", self.folder_edit.text())
        if folder:
            self.folder_edit.setText(folder)
