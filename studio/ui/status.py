"""The status bar: device, last frame time, job progress and messages."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QWidget

from studio.ui.naming import named


class StudioStatusBar(QStatusBar):
    """Messages on the left; progress, frame time and device on the right."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusBar")
        self.progress = named(QProgressBar(), "statusProgress")
        self.progress.setRange(0, 100)
        self.progress.setMaximumWidth(160)
        self.progress.setMaximumHeight(14)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.frame_ms = named(QLabel("— ms"), "statusFrameMs")
        self.frame_ms.setToolTip("Time from the last change to its frame on screen")
        self.device = named(QLabel("…"), "statusDevice")
        self.device.setToolTip("Where the model runs")
        self.addPermanentWidget(self.progress)
        self.addPermanentWidget(self.frame_ms)
        self.addPermanentWidget(self.device)

    def set_device(self, text: str) -> None:
        """Show the compute device, e.g. "CPU" or "CUDA: NVIDIA H100"."""
        self.device.setText(text)

    def set_frame_ms(self, ms: float) -> None:
        """Show the last frame's time from request to screen."""
        self.frame_ms.setText(f"{ms:.0f} ms")

    def set_progress(self, fraction: float) -> None:
        """Show a job's progress (0..1)."""
        self.progress.setRange(0, 100)
        self.progress.setValue(round(max(0.0, min(1.0, fraction)) * 100))
        self.progress.show()

    def set_busy(self, busy: bool) -> None:
        """A moving bar while jobs run, none when idle."""
        if busy:
            if self.progress.isHidden():  # a job with real progress keeps its bar
                self.progress.setRange(0, 0)
                self.progress.show()
        else:
            self.progress.hide()
