"""Sliders that map integer steps to float values and reset on double-click."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QSlider, QWidget


class ValueSlider(QSlider):
    """A horizontal slider over ``[low, high]`` in steps of ``1/scale``.

    ``value()`` stays an integer (Qt's); :meth:`number` and :meth:`set_number` speak
    floats. Double-clicking emits ``resetRequested``.
    """

    resetRequested = Signal()

    def __init__(
        self, low: float, high: float, scale: int = 100, parent: QWidget | None = None
    ) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.scale = scale
        self.setRange(round(low * scale), round(high * scale))
        self.setSingleStep(max(1, scale // 20))
        self.setPageStep(max(1, scale // 4))
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def number(self, steps: int | None = None) -> float:
        """The float for ``steps`` (default: the current position)."""
        return (self.value() if steps is None else steps) / self.scale

    def steps_for(self, number: float) -> int:
        """The integer position that shows ``number``."""
        return round(number * self.scale)

    def set_number(self, number: float) -> None:
        """Move to ``number`` (emits ``valueChanged`` unless signals are blocked)."""
        self.setValue(self.steps_for(number))

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        """Ask for a reset to the default value."""
        if event.button() == Qt.MouseButton.LeftButton:
            self.resetRequested.emit()
            event.accept()
            return
        super().mouseDoubleClickEvent(event)
