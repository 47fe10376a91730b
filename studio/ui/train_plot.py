"""``TrainPlot``: losses and quality figures over training steps, painted with QPainter.

Two vertical scales: losses on the left, a figure of another size (sample variety, PSNR)
on the right, drawn dashed. Noisy per-step losses are drawn faintly with a smoothed line
on top. Long runs are thinned to about two points per pixel when painted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

LABELS = {
    "loss_d": "D loss",
    "loss_g": "G loss",
    "loss": "loss",
    "diversity": "sample variety",
    "data_diversity": "your images' variety",
    "psnr": "PSNR dB",
}
PALETTE = ("#4aa3df", "#f0883e", "#7bc96f", "#d16ba5", "#e5c07b", "#56b6c2")
SMOOTHING = 0.9  # exponential moving average weight of the past


@dataclass
class Series:
    """One line: its steps, raw values and smoothed values."""

    name: str
    colour: str
    right: bool = False
    smoothing: float = SMOOTHING
    steps: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    smooth: list[float] = field(default_factory=list)

    def add(self, step: int, value: float) -> None:
        """Append a point (a step at or before the last restarts the line there)."""
        while self.steps and self.steps[-1] >= step:  # resumed from an earlier checkpoint
            self.steps.pop()
            self.values.pop()
            self.smooth.pop()
        prev = self.smooth[-1] if self.smooth else value
        self.steps.append(step)
        self.values.append(value)
        self.smooth.append(self.smoothing * prev + (1 - self.smoothing) * value)


def _nice(value: float) -> str:
    """A short axis label."""
    a = abs(value)
    if a >= 1000:
        return f"{value:.0f}"
    if a >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _range(values: list[float]) -> tuple[float, float]:
    lo, hi = min(values), max(values)
    if not math.isfinite(lo) or not math.isfinite(hi):
        return 0.0, 1.0
    pad = (hi - lo) * 0.06 or abs(hi) * 0.1 or 1.0
    return lo - pad, hi + pad


class TrainPlot(QWidget):
    """Polylines of named figures over steps, with a legend of their latest values."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainPlot")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(140)
        self.setToolTip(
            "Losses (left scale) and quality (right scale, dashed) over the training steps"
        )
        self.series: dict[str, Series] = {}
        self.dark = True

    def sizeHint(self) -> QSize:
        """Wide and fairly short."""
        return QSize(360, 200)

    def clear(self) -> None:
        """Forget every line."""
        self.series.clear()
        self.update()

    def set_dark(self, dark: bool) -> None:
        """Paint for a dark or light background."""
        self.dark = dark
        self.update()

    def add(
        self, step: int, values: Mapping[str, float], right: bool = False, smooth: bool = True
    ) -> None:
        """Add one point per named value at ``step``; ``right``: on the right scale,
        ``smooth``: also draw a smoothed line (for figures measured at every step)."""
        for name, value in values.items():
            if not math.isfinite(value):
                continue
            line = self.series.get(name)
            if line is None:
                colour = PALETTE[len(self.series) % len(PALETTE)]
                line = Series(name, colour, right, SMOOTHING if smooth else 0.0)
                self.series[name] = line
            line.add(step, float(value))
        self.update()

    def points(self, name: str) -> list[tuple[int, float]]:
        """The raw points of one line (for tests and tooltips)."""
        line = self.series.get(name)
        return list(zip(line.steps, line.values, strict=True)) if line else []

    # ------------------------------------------------------------------ painting

    def paintEvent(self, event: QPaintEvent) -> None:
        """Frame, scales, lines and legend."""
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        fg = QColor("#c9d1d9" if self.dark else "#24292f")
        grid = QColor("#3a4350" if self.dark else "#d0d7de")
        p.fillRect(self.rect(), QColor("#161b22" if self.dark else "#ffffff"))
        fm = p.fontMetrics()
        lines = [s for s in self.series.values() if s.steps]
        if not lines:
            p.setPen(fg)
            p.drawText(
                self.rect(),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                "Losses appear here once training starts.",
            )
            return
        legend_h = self._legend(p, lines, fg)
        left = [s for s in lines if not s.right]
        right = [s for s in lines if s.right]
        lrange = _range([v for s in left for v in s.values]) if left else None
        rrange = _range([v for s in right for v in s.values]) if right else None
        label_w = fm.horizontalAdvance("0000.0") + 6
        plot = QRectF(
            label_w if lrange else 8,
            legend_h + 6,
            self.width() - (label_w if lrange else 8) - (label_w if rrange else 10),
            self.height() - legend_h - fm.height() - 12,
        )
        if plot.width() < 20 or plot.height() < 20:
            return
        first = min(s.steps[0] for s in lines)
        last = max(s.steps[-1] for s in lines)
        span = max(1, last - first)
        p.setPen(QPen(grid, 1))
        p.drawRect(plot)
        for frac in (0.25, 0.5, 0.75):
            y = plot.top() + plot.height() * frac
            p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
        p.setPen(fg)
        for rng, x, align in (
            (lrange, 0.0, Qt.AlignmentFlag.AlignRight),
            (rrange, plot.right() + 4, Qt.AlignmentFlag.AlignLeft),
        ):
            if rng is None:
                continue
            for value, y in ((rng[1], plot.top()), (rng[0], plot.bottom())):
                box = QRectF(x, y - fm.height() / 2, label_w - 6, fm.height())
                p.drawText(box, align | Qt.AlignmentFlag.AlignVCenter, _nice(value))
        bottom = QRectF(plot.left(), plot.bottom() + 2, plot.width(), fm.height() + 4)
        p.drawText(bottom, Qt.AlignmentFlag.AlignLeft, f"step {first}")
        p.drawText(bottom, Qt.AlignmentFlag.AlignRight, f"step {last}")
        p.setClipRect(plot.adjusted(-1, -1, 1, 1))
        for line in lines:
            rng = rrange if line.right else lrange
            assert rng is not None
            self._line(p, plot, line, first, span, rng)
        p.end()

    def _legend(self, p: QPainter, lines: list[Series], fg: QColor) -> int:
        """Colour swatches and latest values across the top; returns the height used."""
        fm = p.fontMetrics()
        x, y, row = 6.0, 4.0, fm.height() + 2
        for line in lines:
            text = f"{LABELS.get(line.name, line.name)} {_nice(line.values[-1])}"
            width = 18 + fm.horizontalAdvance(text) + 12
            if x > 6 and x + width > self.width() - 4:
                x, y = 6.0, y + row
            pen = QPen(QColor(line.colour), 2)
            if line.right:
                pen.setStyle(Qt.PenStyle.DashLine)
            p.setPen(pen)
            mid = y + row / 2
            p.drawLine(QPointF(x, mid), QPointF(x + 14, mid))
            p.setPen(fg)
            p.drawText(QRectF(x + 18, y, width, row), Qt.AlignmentFlag.AlignVCenter, text)
            x += width
        return int(y + row)

    def _line(
        self,
        p: QPainter,
        plot: QRectF,
        line: Series,
        first: int,
        span: int,
        rng: tuple[float, float],
    ) -> None:
        lo, hi = rng
        stride = max(1, math.ceil(len(line.steps) / max(1.0, 2 * plot.width())))

        def point(i: int, values: list[float]) -> QPointF:
            x = plot.left() + (line.steps[i] - first) / span * plot.width()
            y = plot.bottom() - (values[i] - lo) / (hi - lo) * plot.height()
            return QPointF(x, y)

        indices = list(range(0, len(line.steps), stride))
        if indices[-1] != len(line.steps) - 1:
            indices.append(len(line.steps) - 1)
        colour = QColor(line.colour)
        sparse = len(line.steps) < 40
        if sparse or not line.smoothing:
            layers = [(line.values, 2.0, 255)]
        else:
            layers = [(line.values, 1.0, 60), (line.smooth, 2.0, 255)]
        for n, (values, width, alpha) in enumerate(layers):
            colour.setAlpha(alpha)
            pen = QPen(colour, width)
            if line.right and n == len(layers) - 1:
                pen.setStyle(Qt.PenStyle.DashLine)
            p.setPen(pen)
            path = QPainterPath(point(indices[0], values))
            for i in indices[1:]:
                path.lineTo(point(i, values))
            p.drawPath(path)
        if sparse:
            colour.setAlpha(255)
            p.setBrush(colour)
            p.setPen(Qt.PenStyle.NoPen)
            for i in indices:
                p.drawEllipse(point(i, line.values), 2.5, 2.5)
            p.setBrush(Qt.BrushStyle.NoBrush)
