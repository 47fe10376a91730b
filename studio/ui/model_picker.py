"""The model picker: every model the catalog finds, with what it is and where from."""

from __future__ import annotations

from dataclasses import replace
from typing import cast

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QComboBox, QGroupBox, QLabel, QVBoxLayout, QWidget

from studio.app.controller import SessionController
from studio.app.session import SessionState
from studio.engine.handlers import ModelInfo
from studio.models.catalog import ModelEntry, list_models
from studio.models.registry import GENERATIVE_KINDS
from studio.ui.naming import named


def describe_entry(entry: ModelEntry) -> str:
    """The tooltip for one model: kind, resolution, data, lineage and licence (or its
    problem)."""
    if entry.error:
        return f"{entry.name}: cannot be used\n{entry.error}\n{entry.path}"
    res = entry.resolution
    steps = f" for {entry.steps:,} steps" if entry.steps else ""
    parent = f"Fine-tuned from: {entry.parent}\n" if entry.parent else ""
    return (
        f"{entry.name} — {entry.kind.upper()} ({entry.arch}), {res}×{res} px\n"
        f"Trained on: {entry.data_name}{steps}\n"
        f"{parent}"
        f"Licence: {entry.licence}\n"
        f"{entry.size_mb:.1f} MB, {entry.source}: {entry.path}"
    )


class ModelPicker(QGroupBox):
    """A combo box of models; picking one is an undo step that loads it on the engine."""

    def __init__(
        self,
        controller: SessionController,
        entries: list[ModelEntry] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Model", parent)
        self.setObjectName("modelPicker")
        self.controller = controller
        self.combo = named(QComboBox(), "modelCombo")
        self.combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.combo.setMinimumContentsLength(12)
        self.info = named(QLabel(""), "modelInfo")
        self.info.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.combo)
        layout.addWidget(self.info)
        self.entries: list[ModelEntry] = []
        self.refresh(entries)
        self.combo.currentIndexChanged.connect(self._picked)
        controller.stateChanged.connect(self.show_state)
        controller.modelReady.connect(self.show_info)

    def refresh(self, entries: list[ModelEntry] | None = None) -> None:
        """Show ``entries`` (default: re-read the model folders)."""
        found = list_models() if entries is None else entries
        # The metrics network is a model file too, but nothing to draw with.
        self.entries = [e for e in found if e.error or e.kind in GENERATIVE_KINDS]
        items = cast(QStandardItemModel, self.combo.model())
        with QSignalBlocker(self.combo):
            self.combo.clear()
            for i, entry in enumerate(self.entries):
                label = entry.name if not entry.error else f"{entry.name} (unusable)"
                self.combo.addItem(label, entry.name)
                self.combo.setItemData(i, describe_entry(entry), Qt.ItemDataRole.ToolTipRole)
                if entry.error:
                    item = items.item(i)
                    if item is not None:
                        item.setEnabled(False)
        self.show_state(self.controller.state)

    def usable_names(self) -> list[str]:
        """Names of the models that can be loaded, in picker order."""
        return [e.name for e in self.entries if not e.error]

    def show_state(self, state: SessionState) -> None:
        """Select the state's model without emitting a change."""
        index = self.combo.findData(state.model)
        with QSignalBlocker(self.combo):
            self.combo.setCurrentIndex(index)
        entry = self.entries[index] if index >= 0 else None
        self.combo.setToolTip(describe_entry(entry) if entry else "")
        if entry is None:
            self.info.setText("No model" if not self.entries else f"{state.model}: not found")
        elif self.controller.model_info is None or self.controller.model_info.name != entry.name:
            self.info.setText(f"Loading {entry.name}…")

    def show_info(self, info: ModelInfo) -> None:
        """What the engine says about the loaded model."""
        data = f" · {info.data}" if info.data else ""
        classes = f" · {len(info.classes)} classes" if info.classes else ""
        self.info.setText(
            f"{info.kind.upper()} · {info.resolution}×{info.resolution} · "
            f"latent {info.latent_size}{classes}{data}"
        )

    def _picked(self, index: int) -> None:
        name = self.combo.itemData(index)
        state = self.controller.state
        if not name or name == state.model:
            return
        self.controller.commit(replace(state, model=str(name), layers=None), f"Model {name}")
