"""The latent panel: seed, truncation, layer range and the direction sliders."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from functools import partial

from PySide6.QtCore import QEvent, QObject, QSettings, QSignalBlocker, Qt
from PySide6.QtGui import QFontDatabase, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.app.controller import SessionController
from studio.app.session import DEFAULT_SLIDERS, EDIT_LIMIT, MAX_SEED, SessionState
from studio.app.settings import open_settings
from studio.engine.handlers import DirectionsInfo, ModelInfo
from studio.ui.direction_names import DirectionNames, NameEditor
from studio.ui.direction_strip import StripHover
from studio.ui.naming import named
from studio.ui.sliders import ValueSlider


def _value_label(text: str, name: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName(name)
    label.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    label.setMinimumWidth(label.fontMetrics().horizontalAdvance("+0.00") + 6)
    return label


class StudioKeysFirst(QObject):
    """Lets the window's undo/redo shortcuts win over a spin box's own text undo."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # Made here, not at import: key sequences need the QApplication.
        self.keys = (
            QKeySequence(QKeySequence.StandardKey.Undo),
            QKeySequence("Ctrl+Shift+Z"),
            QKeySequence("Ctrl+Y"),
        )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Swallow the shortcut override for undo/redo keys, so the shortcut fires."""
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            pressed = QKeySequence(event.keyCombination())
            if any(pressed.matches(k) == QKeySequence.SequenceMatch.ExactMatch for k in self.keys):
                return True
        return False


NAME_WIDTH = 110  # longer direction names are elided (the full name is in the tooltip)


def _set_edit(index: int, state: SessionState, value: float) -> SessionState:
    return state.with_edit(index, value)


class LatentPanel(QWidget):
    """Widgets for one :class:`SessionState`; changes go to the controller.

    A drag renders live and becomes one undo step when released; any other change
    (keys, wheel, double-click reset, spin boxes) is one undo step at once. Resting
    the pointer on a direction shows what it does (``directionStrip``); its name
    (``latentName0`` …) is renamed by a double-click or its context menu.
    """

    def __init__(
        self,
        controller: SessionController,
        parent: QWidget | None = None,
        settings: QSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("latentPanel")
        self.controller = controller
        self.names = DirectionNames(settings if settings is not None else open_settings(), self)
        self._names_model: str | None = None
        self._drag_start: SessionState | None = None
        self._num_layers = 0

        self.seed_spin = named(QSpinBox(), "seedSpin")
        self.seed_spin.setRange(0, MAX_SEED)
        self.seed_spin.setKeyboardTracking(False)
        self.seed_spin.setToolTip("The seed picks the starting latent; same seed, same image.")
        self.random_button = named(QPushButton("Random"), "randomButton")
        self.random_button.setToolTip("A random seed")
        self.truncation_slider = ValueSlider(0.0, 2.0)
        self.truncation_slider.setObjectName("truncationSlider")
        self.truncation_slider.setToolTip(
            "Truncation: below 1 stays near the average image, above 1 gets wilder. "
            "Double-click resets to 1.0."
        )
        self.truncation_label = _value_label("1.00", "truncationValue")

        self.layer_start = named(QSpinBox(), "layerStartSpin")
        self.layer_end = named(QSpinBox(), "layerEndSpin")
        for spin in (self.layer_start, self.layer_end):
            spin.setKeyboardTracking(False)
            spin.setToolTip("Which synthesis layers the sliders change (coarse → fine).")
        self.layer_total = named(QLabel("of 0"), "layerTotal")
        self.class_combo = named(QComboBox(), "classCombo")
        self.class_combo.setToolTip(
            "What to draw, for models trained on classes. Any: each seed picks its own."
        )
        self.class_caption = QLabel("Class")
        self.layer_row = named(QWidget(), "layerRow")

        self.sliders: list[ValueSlider] = []
        self.value_labels: list[QLabel] = []
        self.name_labels: list[QLabel] = []
        self.reset_button = named(QPushButton("Reset all"), "resetLatentButton")
        self.reset_button.setToolTip("All direction sliders back to 0")
        self._keys_first = StudioKeysFirst(self)
        for spin in (self.seed_spin, self.layer_start, self.layer_end):
            spin.installEventFilter(self._keys_first)
            spin.lineEdit().installEventFilter(self._keys_first)
        self._build()
        self.name_editor = NameEditor(
            self.names,
            self.name_labels,
            list(self.sliders),
            self._model,
            self.dir_box,
            controller.undo_stack,
        )
        self.strip_hover = StripHover(
            controller, self.sliders, self.name_labels, self.direction_name, self
        )
        self._connect()
        self.show_state(controller.state)
        controller.stateChanged.connect(self.show_state)
        controller.modelReady.connect(self.set_model_info)
        controller.directionsReady.connect(self.set_directions)

    # ------------------------------------------------------------------ layout

    def _build(self) -> None:
        seed_box = QGroupBox("Latent")
        grid = QGridLayout(seed_box)
        grid.addWidget(QLabel("Seed"), 0, 0)
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed_spin, 1)
        seed_row.addWidget(self.random_button)
        grid.addLayout(seed_row, 0, 1, 1, 2)
        grid.addWidget(QLabel("Truncation"), 1, 0)
        grid.addWidget(self.truncation_slider, 1, 1)
        grid.addWidget(self.truncation_label, 1, 2)
        layers = QHBoxLayout(self.layer_row)
        layers.setContentsMargins(0, 0, 0, 0)
        layers.addWidget(self.layer_start, 1)
        layers.addWidget(QLabel("to"))
        layers.addWidget(self.layer_end, 1)
        layers.addWidget(self.layer_total)
        self.layer_caption = QLabel("Layers")
        grid.addWidget(self.layer_caption, 2, 0)
        grid.addWidget(self.layer_row, 2, 1, 1, 2)
        grid.addWidget(self.class_caption, 3, 0)
        grid.addWidget(self.class_combo, 3, 1, 1, 2)
        grid.setColumnStretch(1, 1)

        dir_box = self.dir_box = named(QGroupBox("Directions"), "directionsBox")
        dir_grid = QGridLayout(dir_box)
        dir_grid.setVerticalSpacing(2)
        for i in range(DEFAULT_SLIDERS):
            slider = ValueSlider(-EDIT_LIMIT, EDIT_LIMIT)
            slider.setObjectName(f"latentSlider{i}")
            label = _value_label("0.00", f"latentValue{i}")
            caption = named(QLabel(f"PC {i + 1}"), f"latentName{i}")
            caption.setMaximumWidth(NAME_WIDTH)
            self.name_labels.append(caption)
            dir_grid.addWidget(caption, i, 0)
            dir_grid.addWidget(slider, i, 1)
            dir_grid.addWidget(label, i, 2)
            self.sliders.append(slider)
            self.value_labels.append(label)
        dir_grid.setColumnStretch(1, 1)
        dir_grid.addWidget(self.reset_button, DEFAULT_SLIDERS, 1, 1, 2, Qt.AlignmentFlag.AlignRight)

        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(seed_box)
        box.addWidget(dir_box)
        box.addStretch(1)
        self.set_model_info(None)

    def _connect(self) -> None:
        c = self.controller
        self.seed_spin.valueChanged.connect(
            lambda v: c.commit(replace(c.state, seed=int(v)), f"Seed {v}")
        )
        self.random_button.clicked.connect(self.random_seed)
        self._bind(
            self.truncation_slider,
            lambda s, v: replace(s, truncation=v),
            self.truncation_label,
            "Truncation",
            default=1.0,
        )
        for i, (slider, label) in enumerate(zip(self.sliders, self.value_labels, strict=True)):
            self._bind(slider, partial(_set_edit, i), label, partial(self.direction_name, i))
        self.names.changed.connect(lambda model: self._show_names(force=True))
        self.reset_button.clicked.connect(c.reset_edits)
        self.class_combo.activated.connect(self._class_chosen)
        self.layer_start.valueChanged.connect(lambda _v: self._layers_changed(self.layer_start))
        self.layer_end.valueChanged.connect(lambda _v: self._layers_changed(self.layer_end))

    def _bind(
        self,
        slider: ValueSlider,
        change: Callable[[SessionState, float], SessionState],
        label: QLabel,
        name: str | Callable[[], str],
        default: float = 0.0,
    ) -> None:
        """Live render while dragging, one undo step per drag or per other change
        (``name``, or what it returns, names the undo step)."""
        c = self.controller

        def title() -> str:
            return name() if callable(name) else name

        def pressed() -> None:
            self._drag_start = c.committed

        def moved(steps: int) -> None:
            value = slider.number(steps)
            label.setText(f"{value:+.2f}" if default == 0.0 else f"{value:.2f}")
            state = change(c.state, value)
            if slider.isSliderDown():
                c.preview(state)
            else:
                c.commit(state, f"{title()} {value:+.2f}")

        def released() -> None:
            before, self._drag_start = self._drag_start, None
            value = slider.number()
            c.commit(change(c.state, value), f"{title()} {value:+.2f}", before)

        def reset() -> None:
            c.commit(change(c.state, default), f"Reset {title()}")

        slider.sliderPressed.connect(pressed)
        slider.valueChanged.connect(moved)
        slider.sliderReleased.connect(released)
        slider.resetRequested.connect(reset)

    # ------------------------------------------------------------------ names

    def _model(self) -> str:
        return self.controller.state.model

    def direction_name(self, index: int) -> str:
        """Direction ``index``'s name for the current model (``PC n`` until renamed)."""
        return self.names.name(self._model(), index)

    def _show_names(self, force: bool = False) -> None:
        model = self._model()
        if model == self._names_model and not force:
            return
        self._names_model = model
        for i, (caption, slider) in enumerate(zip(self.name_labels, self.sliders, strict=True)):
            name = self.direction_name(i)
            metrics = caption.fontMetrics()
            caption.setText(metrics.elidedText(name, Qt.TextElideMode.ElideRight, NAME_WIDTH))
            pc = f"Principal direction {i + 1}"
            about = f"{name} ({pc})" if self.names.is_custom(model, i) else pc
            caption.setToolTip(f"{about}. Double-click to rename it.")
            slider.setToolTip(
                f"{about}. Rest the pointer here to see it at −2, 0 and +2; "
                "double-click resets to 0."
            )

    # ------------------------------------------------------------------ changes

    def random_seed(self) -> None:
        """Jump to a random seed (one undo step)."""
        seed = random.randrange(MAX_SEED + 1)
        self.controller.commit(replace(self.controller.state, seed=seed), f"Seed {seed}")

    def _class_chosen(self, index: int) -> None:
        label = self.class_combo.itemData(index)
        if label == self.controller.state.label:
            return
        name = self.class_combo.itemText(index)
        self.controller.commit(replace(self.controller.state, label=label), f"Class {name}")

    def _layers_changed(self, source: QSpinBox) -> None:
        start, end = self.layer_start.value(), self.layer_end.value()
        if start > end:  # keep the range non-empty, moving the other end
            other = self.layer_end if source is self.layer_start else self.layer_start
            with QSignalBlocker(other):
                other.setValue(start if source is self.layer_start else end)
            start, end = self.layer_start.value(), self.layer_end.value()
        lo, hi = start - 1, end
        layers = None if (lo, hi) == (0, self._num_layers) else (lo, hi)
        self.controller.commit(
            replace(self.controller.state, layers=layers), f"Layers {start}–{end}"
        )

    # ------------------------------------------------------------------ showing state

    def show_state(self, state: SessionState) -> None:
        """Show ``state`` in every widget without emitting changes."""
        with QSignalBlocker(self.seed_spin):
            self.seed_spin.setValue(state.seed)
        with QSignalBlocker(self.truncation_slider):
            self.truncation_slider.set_number(state.truncation)
        self.truncation_label.setText(f"{self.truncation_slider.number():.2f}")
        for slider, label, value in zip(self.sliders, self.value_labels, state.edits, strict=False):
            with QSignalBlocker(slider):
                slider.set_number(value)
            label.setText(f"{slider.number():+.2f}")
        self._show_layers(state.layers)
        self._show_class(state.label)
        self._show_names()

    def _show_class(self, label: int | None) -> None:
        found = self.class_combo.findData(label)
        with QSignalBlocker(self.class_combo):
            self.class_combo.setCurrentIndex(max(found, 0))

    def _show_layers(self, layers: tuple[int, int] | None) -> None:
        n = self._num_layers
        lo, hi = layers if layers is not None else (0, n)
        for spin, value in ((self.layer_start, lo + 1), (self.layer_end, min(hi, n))):
            with QSignalBlocker(spin):
                spin.setValue(value)

    def set_model_info(self, info: ModelInfo | None) -> None:
        """Fit the layer range to the model (GANs only) and list its classes, if any."""
        n = info.num_layers if info is not None else 0
        self._num_layers = n
        for spin in (self.layer_start, self.layer_end):
            with QSignalBlocker(spin):
                spin.setRange(1, max(1, n))
        self.layer_total.setText(f"of {n}")
        show = info is not None and info.kind == "gan" and n > 0
        self.layer_row.setVisible(show)
        self.layer_caption.setVisible(show)
        self._show_layers(self.controller.state.layers)
        classes = info.classes if info is not None else ()
        with QSignalBlocker(self.class_combo):
            self.class_combo.clear()
            self.class_combo.addItem("Any (from the seed)", None)
            for index, name in enumerate(classes):
                self.class_combo.addItem(name, index)
        self.class_combo.setVisible(bool(classes))
        self.class_caption.setVisible(bool(classes))
        self._show_class(self.controller.state.label)

    def set_directions(self, info: DirectionsInfo) -> None:
        """Enable the sliders the model has directions for."""
        for i, slider in enumerate(self.sliders):
            slider.setEnabled(i < info.k)
