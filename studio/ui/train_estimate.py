"""Before Start: how long the run will take here, and faster choices when it is long."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from studio.ui.naming import named

if TYPE_CHECKING:
    from studio.training.estimate import TrainingEstimate


def duration_words(seconds: float) -> str:
    """``seconds`` as people say it: "under a minute", "about 25 min", "about 3 h 10 min"."""
    minutes = round(seconds / 60)
    if minutes < 1:
        return "under a minute"
    if minutes < 90:
        return f"about {minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"about {hours} h {rest:02d} min" if rest else f"about {hours} h"


def estimate_words(est: TrainingEstimate, device: str) -> str:
    """One sentence for the estimate, e.g. "About 12 min on this CPU (…)"."""
    words = duration_words(est.seconds)
    text = (
        f"{words[0].upper()}{words[1:]} on this {device} ({est.steps:,} steps, "
        f"{est.images_per_s:.1f} images/s measured now)."
    )
    if est.long:
        text += " That is over an hour: a smaller model or fine-tuning one of ours is faster."
    return text


def _button(text: str, name: str, tip: str) -> QPushButton:
    button = named(QPushButton(text), name)
    button.setToolTip(tip)
    button.setAutoDefault(False)
    return button


class EstimateView(QWidget):
    """The estimate line, and under it the faster choices when the run is long."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = named(QLabel(""), "trainEstimateLabel")
        self.label.setWordWrap(True)
        self.label.setToolTip(
            "Measured by timing a few real training steps of these settings on this "
            "device, as busy as it is now (previews and checkpoints not counted)"
        )
        self.smaller_button = _button(
            "Smaller model", "trainSmallerButton", "A narrower GAN: trains faster"
        )
        self.tune_button = _button(
            "Fine-tune instead",
            "trainFineTuneButton",
            "Start from one of our trained models: a recognisable result in far fewer steps",
        )
        self.faster = named(QWidget(), "trainFasterBox")
        row = QHBoxLayout(self.faster)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.smaller_button)
        row.addWidget(self.tune_button)
        row.addStretch(1)
        self.faster.hide()
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.label)
        column.addWidget(self.faster)

    def say(self, text: str) -> None:
        """A plain line (measuring…, a failure, nothing), no choices."""
        self.label.setText(text)
        self.faster.hide()

    def show_estimate(
        self, est: TrainingEstimate, device: str, tune: str | None, can_shrink: bool
    ) -> None:
        """Show ``est``; over an hour, offer a smaller model (``can_shrink``) and a
        fine-tune of the model ``tune``, where they apply."""
        self.label.setText(estimate_words(est, device))
        self.tune_button.setText(f"Fine-tune {tune} instead" if tune else "Fine-tune")
        self.tune_button.setVisible(tune is not None)
        self.smaller_button.setVisible(can_shrink)
        self.faster.setVisible(est.long and (tune is not None or can_shrink))
