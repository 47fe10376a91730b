"""Choosing the folder to train on, and showing what the scan found in it."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.ui.naming import named

if TYPE_CHECKING:
    from studio.training.scan import ScanEntry, ScanReport

EXAMPLES = 2  # skipped files named per reason


def describe_report(report: ScanReport) -> str:
    """The scan in plain words: usable, skipped by reason with examples, conversions,
    classes."""
    usable, skipped = report.usable, report.skipped
    if not usable:
        looked = f" ({len(report.entries)} files looked at)" if report.entries else ""
        lines = [
            f"No usable images in {report.root}{looked}.",
            "Choose a folder of PNG, JPEG, WebP, BMP, GIF or TIFF pictures, at least 16 px "
            "a side. Subfolders are included.",
        ]
    else:
        lines = [f"{len(usable):,} images usable, {len(skipped):,} skipped."]
    by_reason: dict[str, list[ScanEntry]] = defaultdict(list)
    for entry in skipped:
        by_reason[entry.category or "unreadable"].append(entry)
    if by_reason:
        lines.append("Skipped:")
    for reason, group in sorted(by_reason.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        first = group[0]
        why = first.reason.removeprefix(f"{reason}: ")
        names = [f"{first.path} ({why})" if why and why != reason else first.path]
        names += [e.path for e in group[1:EXAMPLES]]
        more = ", …" if len(group) > EXAMPLES else ""
        lines.append(f"  • {len(group)} {reason}: {', '.join(names)}{more}")
    conversions = report.conversion_counts()
    if conversions:
        lines.append("Converted on loading (your files are not changed):")
        for what, n in sorted(conversions.items(), key=lambda kv: -kv[1]):
            lines.append(f"  • {n} {what}")
    classes = report.classes
    if classes:
        lines.append(
            f"Classes ({len(classes)}): {', '.join(classes)} — a GAN can learn them "
            "(class-conditional)."
        )
    elif usable:
        lines.append("No classes: put images in one subfolder per class to train with classes.")
    return "\n".join(lines)


class DataPicker(QGroupBox):
    """Folder line edit, Browse and Check buttons, and the scan report.

    ``folderChosen(str)`` asks for a scan of a folder (Browse, Enter, Check).
    """

    folderChosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Images", parent)
        self.edit = named(QLineEdit(), "trainDataEdit")
        self.edit.setPlaceholderText("Folder of images to train on")
        self.edit.setToolTip("The folder of pictures to learn from (subfolders included)")
        self.edit.setClearButtonEnabled(True)
        self.browse = named(QPushButton("Browse…"), "trainDataBrowse")
        self.browse.setToolTip("Choose the folder of images")
        self.check = named(QPushButton("Check"), "trainScanButton")
        self.check.setToolTip("Look through the folder again: what can be used and what not")
        self.report = named(QPlainTextEdit(), "trainDataReport")
        self.report.setReadOnly(True)
        self.report.setPlaceholderText("Choose a folder: the studio checks every image in it.")
        self.report.setToolTip("What the check found in the folder")
        self.report.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        lines = self.report.fontMetrics().lineSpacing()
        self.report.setMinimumHeight(lines * 4 + 12)
        self.report.setMaximumHeight(lines * 8 + 12)
        row = QHBoxLayout()
        row.addWidget(self.edit, 1)
        row.addWidget(self.browse)
        row.addWidget(self.check)
        column = QVBoxLayout(self)
        column.addLayout(row)
        column.addWidget(self.report)
        for button in (self.browse, self.check):
            button.setAutoDefault(False)
        self.browse.clicked.connect(self.choose)
        self.check.clicked.connect(lambda: self._ask(force=True))
        self.edit.returnPressed.connect(lambda: self._ask(force=True))
        self.edit.editingFinished.connect(self._ask)
        self._asked = ""

    def folder(self) -> str:
        """The folder as typed (expanded, without surrounding spaces)."""
        text = self.edit.text().strip()
        return str(Path(text).expanduser()) if text else ""

    def choose(self) -> None:
        """Pick the folder in a dialog, then ask for a scan."""
        start = self.folder() or str(Path.home())
        chosen = QFileDialog.getExistingDirectory(self, "Folder of images to train on", start)
        if chosen:
            self.set_folder(chosen)

    def set_folder(self, folder: str) -> None:
        """Type ``folder`` in and ask for its scan."""
        self.edit.setText(folder)
        self._ask(force=True)

    def show_text(self, text: str) -> None:
        """Replace the report with ``text``."""
        self.report.setPlainText(text)

    def _ask(self, force: bool = False) -> None:
        folder = self.folder()
        if folder and (force or folder != self._asked):
            self._asked = folder
            self.folderChosen.emit(folder)
