"""Variations (``variationsDock``): 8 children around the current picture at a chosen
spread (``variationSpread``), rendered in one batch on the render lane and shown as a
grid; click one to adopt it (one undo step), shift-click to keep it."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QMouseEvent, QPixmap
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.app.images import array_to_qimage
from studio.engine import JobEvent
from studio.engine.handlers import ImagesResult
from studio.engine.requests import RenderVariations
from studio.pipelines.variations import VariationRecipe
from studio.ui.adopt import AdoptCommand, Adopted, current_parent, keep_child
from studio.ui.gallery_actions import GalleryActions
from studio.ui.panel_context import PanelContext

COUNT = 8
COLUMNS = 4
CELL = 80


class Cell(QLabel):
    """One child in the grid: ``picked(index, shift)`` on a click."""

    picked = Signal(int, bool)

    def __init__(self, index: int) -> None:
        super().__init__()
        self.index = index
        self.setObjectName(f"variation{index}")
        self.setFixedSize(CELL, CELL)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Click to use it, shift-click to keep it")

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt's name)
        """A left click picks this child (shift: keep it)."""
        if event.button() == Qt.MouseButton.LeftButton and self.pixmap() is not None:
            shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            self.picked.emit(self.index, shift)
            event.accept()
            return
        super().mousePressEvent(event)


class VariationsPanel(QWidget):
    """The spread, the button and the grid. ``gridReady(np.ndarray)`` when a batch lands."""

    gridReady = Signal(object)

    def __init__(self, ctx: PanelContext, gallery: GalleryActions, adopted: Adopted) -> None:
        super().__init__()
        self.setObjectName("variationsPanel")
        self.ctx = ctx
        self.gallery = gallery
        self.adopted = adopted
        self.batch: VariationRecipe | None = None
        self.images: np.ndarray | None = None
        self.parent_id: int | None = None
        self._job: int | None = None
        self._draw = 0  # each press draws new children (deterministic for a draw)
        column = QVBoxLayout(self)
        row = QHBoxLayout()
        row.addWidget(QLabel("Spread"))
        self.spread = QDoubleSpinBox()
        self.spread.setObjectName("variationSpread")
        self.spread.setRange(0.05, 4.0)
        self.spread.setSingleStep(0.1)
        self.spread.setValue(0.5)
        row.addWidget(self.spread)
        self.button = QPushButton("Variations")
        self.button.setObjectName("variationsButton")
        self.button.setToolTip("8 children around the current image (V)")
        self.button.clicked.connect(self.render_variations)
        row.addWidget(self.button)
        column.addLayout(row)
        grid = QGridLayout()
        self.cells = [Cell(i) for i in range(COUNT)]
        for cell in self.cells:
            grid.addWidget(cell, cell.index // COLUMNS, cell.index % COLUMNS)
            cell.picked.connect(self.pick)
        column.addLayout(grid)
        column.addStretch(1)
        ctx.bridge.resultReady.connect(self._on_result)
        ctx.bridge.jobEvent.connect(self._on_event)

    @Slot()
    def render_variations(self) -> bool:
        """Ask for 8 children of the current picture in one batch."""
        current = self.ctx.current_frame()
        parent = None if current is None else current_parent(self.ctx, self.adopted)
        info = self.ctx.controller.model_info
        if parent is None or info is None:
            self.ctx.notice.show_error("There is no image to vary yet.")
            return False
        recipe = parent[0]
        layers = self.ctx.controller.state.layers if info.kind == "gan" else None
        self._draw += 1
        self.batch = VariationRecipe(
            recipe.model, recipe, float(self.spread.value()), self._draw, COUNT, 0, layers
        )
        if self._job is not None:
            self.ctx.bridge.cancel(self._job)
        if self.ctx.bridge.is_shut_down:
            return False
        self._job = self.ctx.bridge.submit(RenderVariations(self.batch), "render")
        return True

    @Slot(int, object)
    def _on_result(self, job_id: int, payload: object) -> None:
        if job_id != self._job or not isinstance(payload, ImagesResult):
            return
        self._job = None
        request = payload.request
        assert isinstance(request, RenderVariations)
        self.batch = request.recipe
        self.images = payload.images
        for cell, image in zip(self.cells, payload.images, strict=False):
            pixmap = QPixmap.fromImage(array_to_qimage(image))
            cell.setPixmap(pixmap.scaled(CELL, CELL, Qt.AspectRatioMode.KeepAspectRatio))
        self.gridReady.emit(payload.images)

    @Slot(object)
    def _on_event(self, event: JobEvent) -> None:
        if event.job_id == self._job and event.kind in ("failed", "cancelled"):
            self._job = None

    def child(self, index: int) -> tuple[VariationRecipe, np.ndarray] | None:
        """Child ``index`` of the last batch: its recipe and pixels."""
        if self.batch is None or self.images is None or not 0 <= index < len(self.images):
            return None
        return replace(self.batch, index=index), self.images[index]

    @Slot(int, bool)
    def pick(self, index: int, keep: bool) -> None:
        """Adopt child ``index`` (one undo step), or keep it when ``keep``."""
        found = self.child(index)
        if found is None:
            return
        recipe, image = found
        if keep:
            keep_child(self.ctx, self.gallery, image, recipe, [])
            return
        text = f"Variation {index + 1}"
        self.ctx.undo_stack.push(AdoptCommand(self.ctx, self.adopted, recipe, image, text))


def install_variations(
    ctx: PanelContext, gallery: GalleryActions, adopted: Adopted
) -> VariationsPanel:
    """The ``variationsDock`` and Tools ▸ Variations (V): shows the dock and renders."""
    panel = VariationsPanel(ctx, gallery, adopted)
    ctx.add_dock(panel, "variationsDock", "Variations", Qt.DockWidgetArea.RightDockWidgetArea)
    action = ctx.add_action("&Variations", "variationsAction", ["V"], "8 children of the image")

    def run() -> None:
        ctx.show_dock("variationsDock")
        panel.render_variations()

    action.triggered.connect(run)
    ctx.menu("&Tools").addAction(action)
    return panel
