"""Names people give the direction sliders ("Smile" for PC 3), saved per model.

The names live in the window's settings as one JSON value, ``{model: {index: name}}``
(a model may be named by a file path, which cannot be a settings key). A name is
renamed in place: double-click the slider's name, or Rename… in its context menu.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QSettings, Qt, Signal
from PySide6.QtGui import QKeyEvent, QUndoCommand, QUndoStack
from PySide6.QtWidgets import QLabel, QLineEdit, QMenu, QWidget

from studio.ui.naming import named

log = logging.getLogger(__name__)

NAMES_KEY = "directions/names"
MAX_NAME = 40


def default_name(index: int) -> str:
    """What a direction is called until someone names it: ``PC 1`` …"""
    return f"PC {index + 1}"


class DirectionNames(QObject):
    """The names of every model's directions. ``changed(str)`` names the model whose
    names changed."""

    changed = Signal(str)

    def __init__(self, settings: QSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self._names: dict[str, dict[int, str]] = self._read()

    def _read(self) -> dict[str, dict[int, str]]:
        raw = self.settings.value(NAMES_KEY, "")
        if not raw:
            return {}
        try:
            data = json.loads(str(raw))
            if not isinstance(data, dict):
                raise ValueError("not an object")
            names: dict[str, dict[int, str]] = {}
            for model, entries in data.items():
                if isinstance(entries, dict):
                    names[str(model)] = {
                        int(i): str(n)[:MAX_NAME] for i, n in entries.items() if str(n).strip()
                    }
            return names
        except (ValueError, TypeError) as exc:
            log.warning("Ignoring damaged direction names: %s", exc)
            return {}

    def name(self, model: str, index: int) -> str:
        """The direction's name: the person's, else ``PC n``."""
        return self._names.get(model, {}).get(index) or default_name(index)

    def is_custom(self, model: str, index: int) -> bool:
        """Whether someone named this direction."""
        return index in self._names.get(model, {})

    def custom(self, model: str, index: int) -> str:
        """The name someone gave the direction ("" if none)."""
        return self._names.get(model, {}).get(index, "")

    @staticmethod
    def tidy(index: int, text: str) -> str:
        """``text`` as it would be kept: one line, spaces collapsed, at most
        :data:`MAX_NAME` characters; "" for the default name."""
        text = " ".join(text.split())[:MAX_NAME]
        return "" if text == default_name(index) else text

    def rename(self, model: str, index: int, text: str) -> None:
        """Name direction ``index`` of ``model``; an empty name (or ``PC n``) goes back
        to the default. Saved at once."""
        text = self.tidy(index, text)
        entries = self._names.setdefault(model, {})
        if not text:
            if entries.pop(index, None) is None:
                return
        elif entries.get(index) == text:
            return
        else:
            entries[index] = text
        if not entries:
            del self._names[model]
        data = {m: {str(i): n for i, n in sorted(e.items())} for m, e in self._names.items()}
        self.settings.setValue(NAMES_KEY, json.dumps(data, ensure_ascii=False))
        self.changed.emit(model)


class RenameCommand(QUndoCommand):
    """Renaming a direction, as one step of the window's undo history."""

    def __init__(self, names: DirectionNames, model: str, index: int, new: str) -> None:
        shown = new or default_name(index)
        super().__init__(f"Rename {names.name(model, index)} to {shown}")
        self.names, self.model, self.index = names, model, index
        self.old, self.new = names.custom(model, index), new

    def redo(self) -> None:
        """Give the new name."""
        self.names.rename(self.model, self.index, self.new)

    def undo(self) -> None:
        """Give the old name back."""
        self.names.rename(self.model, self.index, self.old)


class NameEditor(QObject):
    """Renames directions in place: a line edit (``directionNameEdit``) over the name.

    ``current_model()`` says whose directions the labels show. Enter or leaving the
    field keeps the name, Escape keeps the old one.
    """

    def __init__(
        self,
        names: DirectionNames,
        labels: list[QLabel],
        rows: list[QWidget],
        current_model: Callable[[], str],
        parent: QWidget,
        undo_stack: QUndoStack | None = None,
    ) -> None:
        super().__init__(parent)
        self.undo_stack = undo_stack
        self.names = names
        self.labels = labels
        self.rows = rows  # the widget each editor may stretch over (the slider)
        self.current_model = current_model
        self.index: int | None = None
        self.edit = named(QLineEdit(parent), "directionNameEdit")
        self.edit.setMaxLength(MAX_NAME)
        self.edit.setPlaceholderText("Name this direction")
        self.edit.hide()
        self.edit.installEventFilter(self)
        self.edit.editingFinished.connect(self.finish)
        for index, label in enumerate(labels):
            label.installEventFilter(self)
            label.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            label.customContextMenuRequested.connect(
                lambda pos, i=index: self._menu(i, self.labels[i].mapToGlobal(pos))
            )

    def start(self, index: int) -> None:
        """Open the editor over direction ``index``'s name."""
        model = self.current_model()
        if not model:
            return
        label, row = self.labels[index], self.rows[index]
        parent = self.edit.parentWidget()
        assert parent is not None
        top_left = label.mapTo(parent, QPoint(0, 0))
        right = row.mapTo(parent, QPoint(row.width(), 0)).x()
        height = max(self.edit.sizeHint().height(), label.height())
        y = top_left.y() + (label.height() - height) // 2
        self.edit.setGeometry(QRect(top_left.x(), y, right - top_left.x(), height))
        self.index = index
        self.edit.setText(self.names.name(model, index))
        self.edit.selectAll()
        self.edit.show()
        self.edit.raise_()
        self.edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def finish(self) -> None:
        """Keep what was typed."""
        if self.index is None:
            return
        index, self.index = self.index, None
        self.edit.hide()
        self.rename(index, self.edit.text())

    def rename(self, index: int, text: str) -> None:
        """Name direction ``index`` of the current model (an undo step if it changes)."""
        model = self.current_model()
        new = self.names.tidy(index, text)
        if not model or new == self.names.custom(model, index):
            return
        if self.undo_stack is None:
            self.names.rename(model, index, new)
        else:
            self.undo_stack.push(RenameCommand(self.names, model, index, new))

    def cancel(self) -> None:
        """Close the editor, keeping the old name."""
        self.index = None
        self.edit.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Double-click on a name edits it; Escape in the editor cancels."""
        kind = event.type()
        if watched is self.edit:
            if (
                kind == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent)
                and event.key() == Qt.Key.Key_Escape
            ):
                self.cancel()
                return True
            return False
        if kind == QEvent.Type.MouseButtonDblClick and watched in self.labels:
            self.start(self.labels.index(watched))  # type: ignore[arg-type]
            return True
        return False

    def _menu(self, index: int, where: QPoint) -> None:
        model = self.current_model()
        if not model:
            return
        menu = QMenu(self.labels[index])
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        rename = menu.addAction("Rename…")
        rename.setObjectName("renameDirectionAction")
        rename.triggered.connect(lambda: self.start(index))
        reset = menu.addAction(f"Call it {default_name(index)} again")
        reset.setObjectName("resetDirectionNameAction")
        reset.setEnabled(self.names.is_custom(model, index))
        reset.triggered.connect(lambda: self.rename(index, ""))
        menu.popup(where)
