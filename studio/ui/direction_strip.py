"""What a direction does, before dragging it: on hover, the picture at −2, 0 and +2.

:class:`StripHover` watches the direction sliders and their names. After the pointer
rests on one for :data:`HOVER_DELAY_MS` it asks the controller for that direction's
strip (rendered on the engine's ``render`` lane in one batch, and cached there), and
shows it in a :class:`DirectionStripPopup` (objectName ``directionStrip``) beside the
slider. Leaving the slider, pressing it or a strip that is no longer wanted hides it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPoint, QRect, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QPixmap
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QSlider, QWidget

from studio.app.controller import STRIP_AMOUNTS, SessionController, StripKey
from studio.app.images import array_to_qimage
from studio.ui.naming import named

HOVER_DELAY_MS = 450
FRAME_PX = 96  # each frame's side on screen
GAP = 10  # between the popup and the slider


def _amount_text(amount: float) -> str:
    return "0" if amount == 0 else f"{amount:+g}".replace("-", "−")


class DirectionStripPopup(QFrame):
    """A tooltip-like strip of frames with the amount under each."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.ToolTip | Qt.WindowType.FramelessWindowHint)
        self.setObjectName("directionStrip")
        self.setFrameShape(QFrame.Shape.Box)
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.title = named(QLabel(""), "directionStripTitle")
        self.frames: list[QLabel] = []
        grid = QGridLayout(self)
        grid.setContentsMargins(6, 6, 6, 6)
        grid.setSpacing(4)
        grid.addWidget(self.title, 0, 0, 1, len(STRIP_AMOUNTS))
        for column, amount in enumerate(STRIP_AMOUNTS):
            frame = named(QLabel(), f"directionStripFrame{column}")
            frame.setFixedSize(FRAME_PX, FRAME_PX)
            frame.setAlignment(Qt.AlignmentFlag.AlignCenter)
            caption = QLabel(_amount_text(amount))
            caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
            grid.addWidget(frame, 1, column)
            grid.addWidget(caption, 2, column)
            self.frames.append(frame)

    def set_frames(self, title: str, images: np.ndarray) -> None:
        """Show ``images`` (N × H × W × 3 uint8, one per amount) under ``title``."""
        self.title.setText(title)
        for frame, image in zip(self.frames, images, strict=False):
            pixmap = QPixmap.fromImage(array_to_qimage(image))
            # Small models are pixel art: scale without blurring them.
            frame.setPixmap(
                pixmap.scaled(
                    FRAME_PX,
                    FRAME_PX,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.FastTransformation,
                )
            )
        self.adjustSize()

    def place_beside(self, widget: QWidget, edge: QWidget | None = None) -> None:
        """Level with ``widget``, left of ``edge`` (default ``widget``: the controls sit
        on the right, so the strip covers the canvas, not the other sliders), else below
        it; kept on the screen."""
        self.adjustSize()
        top_left = widget.mapToGlobal(QPoint(0, 0))
        left = (edge or widget).mapToGlobal(QPoint(0, 0)).x()
        screen = widget.screen() or QGuiApplication.primaryScreen()
        area = screen.availableGeometry() if screen is not None else QRect(0, 0, 10**5, 10**5)
        x = left - self.width() - GAP
        y = top_left.y() + widget.height() // 2 - self.height() // 2
        if x < area.left():
            x = top_left.x()
            y = top_left.y() + widget.height() + GAP
        x = min(max(x, area.left()), area.right() - self.width())
        y = min(max(y, area.top()), area.bottom() - self.height())
        self.move(x, y)


class StripHover(QObject):
    """Shows a direction's strip while the pointer rests on its slider or name."""

    def __init__(
        self,
        controller: SessionController,
        sliders: Sequence[QSlider],
        labels: Sequence[QWidget],
        title_for: Callable[[int], str],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.sliders = list(sliders)
        self.title_for = title_for
        self.popup = DirectionStripPopup(parent)
        self.edge = parent  # the strip shows left of this (the latent panel)
        self.index: int | None = None  # the direction the pointer rests on
        self.key: StripKey | None = None  # the strip asked for
        self._timer = QTimer(self, singleShot=True, interval=HOVER_DELAY_MS)
        self._timer.timeout.connect(self._ask)
        self._owners: dict[QObject, int] = {}
        for index, (slider, label) in enumerate(zip(sliders, labels, strict=True)):
            for widget in (slider, label):
                widget.installEventFilter(self)
                self._owners[widget] = index
        controller.stripReady.connect(self._ready)
        controller.stateChanged.connect(self._state_changed)

    def hover(self, index: int) -> None:
        """The pointer came to direction ``index``: its strip shows after the delay."""
        if self.index != index:
            self.leave()
        self.index = index
        self._timer.start()

    def leave(self) -> None:
        """The pointer left: hide the strip and stop asking for it."""
        self._timer.stop()
        self.index = self.key = None
        self.popup.hide()
        self.controller.drop_strip()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Enter starts the delay, Leave and a press hide the strip."""
        index = self._owners.get(watched)
        if index is not None:
            kind = event.type()
            if kind == QEvent.Type.Enter:
                self.hover(index)
            elif kind == QEvent.Type.Leave and self.index == index:
                self.leave()
            elif kind == QEvent.Type.MouseButtonPress:
                self.leave()  # dragging now: the canvas shows the real thing
        return False

    def _ask(self) -> None:
        index = self.index
        if index is None:
            return
        slider = self.sliders[index]
        if not slider.isEnabled() or slider.isSliderDown():
            return
        self._request(index)

    def _request(self, index: int) -> None:
        # The key first: a cached strip arrives within request_strip.
        self.key = self.controller.strip_key(index)
        self.controller.request_strip(index)

    def _ready(self, key: StripKey, images: np.ndarray) -> None:
        if self.index is None or key != self.key:
            return  # a strip for a direction or picture no longer under the pointer
        self.popup.set_frames(self.title_for(self.index), images)
        self.popup.place_beside(self.sliders[self.index], self.edge)
        self.popup.show()

    def _state_changed(self, _state: object) -> None:
        """Another picture (undo, a seed): the strip follows it if one is showing."""
        if self.index is not None and self.key is not None:
            self._request(self.index)
            if self.key is None:  # e.g. another model, still loading
                self.popup.hide()
