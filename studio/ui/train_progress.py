"""What a running training job shows: the sample grid, progress with time left, warnings."""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPixmap, QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QSizePolicy, QVBoxLayout, QWidget

from studio.app.images import array_to_qimage
from studio.ui.naming import named

if TYPE_CHECKING:
    from studio.training.run import StepReport


def format_duration(seconds: float) -> str:
    """``0:07``, ``12:34`` or ``1:02:03``."""
    s = max(0, round(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class PreviewView(QLabel):
    """The latest sample grid, enlarged with crisp pixels (by a whole factor where that
    fills most of the room), smoothly shrunk when it does not fit."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainPreview")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setMinimumSize(120, 90)
        self.setWordWrap(True)
        self.setToolTip("Samples from the model being trained (the same latents every time)")
        self.frame: np.ndarray | None = None
        self._source: QPixmap | None = None
        self.clear_image()

    def sizeHint(self) -> QSize:
        """Room for a few rows of samples."""
        return QSize(360, 240)

    def clear_image(self) -> None:
        """Back to the placeholder text."""
        self.frame = None
        self._source = None
        self.setPixmap(QPixmap())
        self.setText("Samples appear here as the model learns.")

    def set_image(self, grid: np.ndarray) -> None:
        """Show ``grid`` (uint8 H×W×3)."""
        self.frame = grid.copy()
        self._source = QPixmap.fromImage(array_to_qimage(grid))
        self.setText("")
        self._rescale()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Refit the picture."""
        super().resizeEvent(event)
        self._rescale()

    def _rescale(self) -> None:
        if self._source is None:
            return
        src, room = self._source, self.contentsRect().size()
        if src.width() <= 0 or room.width() <= 0 or room.height() <= 0:
            return
        fit = min(room.width() / src.width(), room.height() / src.height())
        if fit >= 1:  # nearest neighbour: crisp; a whole factor when it loses little room
            whole = math.floor(fit)
            factor = whole if whole / fit >= 0.8 else fit
            size = QSize(round(src.width() * factor), round(src.height() * factor))
            mode = Qt.TransformationMode.FastTransformation
        else:
            size = QSize(max(1, int(src.width() * fit)), max(1, int(src.height() * fit)))
            mode = Qt.TransformationMode.SmoothTransformation
        self.setPixmap(src.scaled(size, Qt.AspectRatioMode.KeepAspectRatio, mode))


class ProgressView(QWidget):
    """Progress bar, step/speed/time text, the device, and a warning in plain words."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = named(QProgressBar(), "trainProgress")
        self.bar.setRange(0, 1000)
        self.bar.setValue(0)
        self.bar.setFormat("%p%")
        self.bar.setToolTip("How much of the run is done")
        self.text = named(QLabel("Not started"), "trainProgressText")
        self.text.setWordWrap(True)
        self.device = named(QLabel(""), "trainDevice")
        self.device.setToolTip("Where the training runs")
        self.warning = named(QLabel(""), "trainWarning")
        self.warning.setWordWrap(True)
        self.warning.setToolTip("The studio's health check of the run")
        self.warning.hide()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.bar, 1)
        row.addWidget(self.device)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(4)
        column.addLayout(row)
        column.addWidget(self.text)
        column.addWidget(self.warning)
        self._recent: deque[tuple[int, float]] = deque(maxlen=30)
        self.last: StepReport | None = None
        self.paused = False
        self.ended = ""  # why the job ended ("Finished", "Stopped"), "" while running

    def reset(self, note: str = "Starting…") -> None:
        """A new job: empty bar, no warning."""
        self._recent.clear()
        self.last = None
        self.paused = False
        self.ended = ""
        self.bar.setValue(0)
        self.text.setText(note)
        self.set_warning("")

    def set_device(self, text: str) -> None:
        """Show where training runs, e.g. "CPU"."""
        self.device.setText(f"on {text}" if text else "")

    def set_warning(self, text: str) -> None:
        """Show (or hide, for "") a warning about the run."""
        self.warning.setText(f"⚠ {text}" if text else "")
        self.warning.setVisible(bool(text))

    def add(self, report: StepReport) -> None:
        """Take one step's report (cheap; :meth:`refresh` draws it)."""
        self.last = report
        self._recent.append((report.step, report.seconds))
        if report.notice:  # said once, e.g. that a resume found no checkpoint
            self.set_warning(report.notice)
        elif report.metrics:  # the health check runs with each preview
            self.set_warning(report.warning)

    def seconds_left(self) -> float | None:
        """Time to the end at the recent pace (training time, so pauses do not count)."""
        if self.last is None or len(self._recent) < 2:
            return None
        (s0, t0), (s1, t1) = self._recent[0], self._recent[-1]
        if s1 <= s0 or t1 <= t0:
            return None
        return (self.last.total - self.last.step) * (t1 - t0) / (s1 - s0)

    def refresh(self) -> None:
        """Draw the latest report."""
        r = self.last
        if r is None:
            return
        self.bar.setValue(round(1000 * r.step / max(1, r.total)))
        parts = [f"Step {r.step:,} of {r.total:,}"]
        if r.images_per_s > 0:
            parts.append(f"{r.images_per_s:.1f} images/s")
        parts.append(f"{format_duration(r.seconds)} trained")
        left = self.seconds_left()
        if r.step < r.total and left is not None and not self.ended:
            parts.append(f"about {format_duration(left)} left")
        text = " · ".join(parts)
        prefix = f"{self.ended} at " if self.ended else "Paused at " if self.paused else ""
        self.text.setText(f"{prefix}{text[0].lower()}{text[1:]}" if prefix else text)
