"""The run folder and the published model's name, and what to do with an old run."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRegularExpression
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QWidget,
)

from studio.models.catalog import user_data_root
from studio.training.export import NAME_RE
from studio.ui.naming import named


def slug(text: str) -> str:
    """``text`` as a model/run name: letters, digits, '-', '_' and '.'."""
    out = re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-._").lower()
    return out[:40]


def runs_root() -> Path:
    """Where the window puts new run folders."""
    return user_data_root() / "runs"


def free_folder(path: Path) -> Path:
    """``path``, or ``path-2``, ``path-3``… whichever does not exist yet."""
    candidate, n = path, 2
    while candidate.exists():
        candidate, n = path.with_name(f"{path.name}-{n}"), n + 1
    return candidate


def read_log(run_dir: Path) -> list[dict[str, Any]]:
    """The run's ``log.jsonl`` records (none if missing or unreadable)."""
    try:
        text = (run_dir / "log.jsonl").read_text(encoding="utf-8")
    except OSError:
        return []
    records = []
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut short by a kill
        if isinstance(record, dict) and "step" in record:
            records.append(record)
    return records


def ask_existing_run(parent: QWidget, run_dir: Path, can_start_new: bool) -> str:
    """Ask what to do with a run folder that already holds a run:
    "resume", "new" (a fresh folder beside it) or "cancel"."""
    box = QMessageBox(QMessageBox.Icon.Question, "Run folder in use", "", parent=parent)
    box.setText(f"{run_dir} already holds a training run.")
    box.setInformativeText(
        "Resume it (with its own settings; Steps sets how long it trains), or start a new "
        "run in a new folder beside it?"
    )
    resume = box.addButton("Resume", QMessageBox.ButtonRole.AcceptRole)
    new = box.addButton("New folder", QMessageBox.ButtonRole.ActionRole)
    new.setEnabled(can_start_new)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(resume)
    box.exec()
    clicked = box.clickedButton()
    return "resume" if clicked is resume else "new" if clicked is new else "cancel"


class RunFields(QGroupBox):
    """Run folder (with a chooser) and model name; both follow the data and model
    choice until the person types their own."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Run", parent)
        self.folder_edit = named(QLineEdit(), "trainRunEdit")
        self.folder_edit.setToolTip("Where checkpoints, previews and the log of this run go")
        self.browse = named(QPushButton("…"), "trainRunBrowse")
        self.browse.setToolTip("Choose the run folder")
        self.browse.setAutoDefault(False)
        self.name_edit = named(QLineEdit(), "trainNameEdit")
        self.name_edit.setValidator(
            QRegularExpressionValidator(QRegularExpression(NAME_RE.pattern))
        )
        self.name_edit.setToolTip(
            "The name the finished model gets in the model list (letters, digits, - _ .)"
        )
        form = QFormLayout(self)
        row = QHBoxLayout()
        row.addWidget(self.folder_edit, 1)
        row.addWidget(self.browse)
        form.addRow("Folder", row)
        form.addRow("Model name", self.name_edit)
        self.edited = {"folder": False, "name": False}
        self.folder_edit.textEdited.connect(lambda _t: self.edited.update(folder=True))
        self.name_edit.textEdited.connect(lambda _t: self.edited.update(name=True))
        self.browse.clicked.connect(self.choose)

    def folder(self) -> Path | None:
        """The run folder typed in, if any."""
        text = self.folder_edit.text().strip()
        return Path(text).expanduser() if text else None

    def name(self) -> str:
        """The model name typed in ("" when it is not a valid name)."""
        text = self.name_edit.text().strip()
        return text if NAME_RE.match(text) else ""

    def suggest(self, base: str, taken: set[str]) -> None:
        """Default folder ``runs/<base>`` and a model name not in ``taken``."""
        if not self.edited["folder"]:
            self.folder_edit.setText(str(runs_root() / base))
        if not self.edited["name"]:
            name, n = base, 2
            while name in taken:
                name, n = f"{base}-{n}", n + 1
            self.name_edit.setText(name)

    def choose(self) -> None:
        """Pick the run folder in a dialog."""
        start = self.folder_edit.text().strip() or str(runs_root())
        chosen = QFileDialog.getExistingDirectory(self, "Run folder", start)
        if chosen:
            self.edited["folder"] = True
            self.folder_edit.setText(chosen)
