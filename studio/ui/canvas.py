"""The canvas: the current image, zoomed and panned, over a checkerboard.

Nearest-neighbour when zoomed in (so pixels stay crisp), smooth when zoomed out.
Painting tools will live in ``overlay`` (a group above the image) later.
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QPainter,
    QPaintEvent,
    QPixmap,
    QResizeEvent,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QGraphicsItemGroup,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QWidget,
)

from studio.app.images import array_to_qimage

MIN_ZOOM = 1 / 16
MAX_ZOOM = 64.0
ZOOM_STEP = 1.25
CHECKER = 8  # pixels per checkerboard square, on screen


def checker_brush(size: int = CHECKER) -> QBrush:
    """A two-grey checkerboard brush for showing transparency."""
    tile = QPixmap(size * 2, size * 2)
    tile.fill(QColor(0x9A, 0x9A, 0x9A))
    painter = QPainter(tile)
    painter.fillRect(0, 0, size, size, QColor(0x6E, 0x6E, 0x6E))
    painter.fillRect(size, size, size, size, QColor(0x6E, 0x6E, 0x6E))
    painter.end()
    return QBrush(tile)


class CanvasView(QGraphicsView):
    """Shows one image. Signals: ``zoomChanged(float)``, ``framePainted(float ms)``."""

    zoomChanged = Signal(float)
    framePainted = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("canvasView")
        self.setScene(QGraphicsScene(self))
        self.pixmap_item = QGraphicsPixmapItem()
        self.pixmap_item.setShapeMode(QGraphicsPixmapItem.ShapeMode.BoundingRectShape)
        self.scene().addItem(self.pixmap_item)
        self.overlay = QGraphicsItemGroup()  # room for painting tools
        self.overlay.setZValue(1)
        self.scene().addItem(self.overlay)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setBackgroundBrush(QColor(0x1B, 0x1E, 0x23))
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.setMinimumSize(240, 240)
        self._checker = checker_brush()
        self.frame: np.ndarray | None = None
        self.fit_mode = True
        self._stamp: float | None = None
        self.setToolTip("")

    # ------------------------------------------------------------------ image

    def set_image(self, image: np.ndarray, stamp: float | None = None) -> None:
        """Show ``image`` (uint8 H×W×3); ``stamp`` is when it was asked for, for timing."""
        resized = self.frame is None or self.frame.shape[:2] != image.shape[:2]
        self.frame = np.array(image, copy=True)
        self.pixmap_item.setPixmap(QPixmap.fromImage(array_to_qimage(self.frame)))
        h, w = image.shape[:2]
        self.scene().setSceneRect(QRectF(0, 0, w, h))
        if self.fit_mode and resized:
            self.fit()
        self._stamp = stamp
        self.viewport().update()

    # ------------------------------------------------------------------ zoom

    @property
    def zoom(self) -> float:
        """Screen pixels per image pixel."""
        return float(self.transform().m11())

    def set_zoom(self, zoom: float, fit_mode: bool = False) -> None:
        """Zoom to ``zoom`` (clamped), keeping the anchor point still."""
        zoom = min(max(zoom, MIN_ZOOM), MAX_ZOOM)
        self.fit_mode = fit_mode
        factor = zoom / self.zoom
        if abs(factor - 1.0) > 1e-9:
            self.scale(factor, factor)
        self._update_sampling()
        self.zoomChanged.emit(self.zoom)

    def zoom_in(self) -> None:
        """One step closer, about the view's centre."""
        self._zoom_about_centre(self.zoom * ZOOM_STEP)

    def zoom_out(self) -> None:
        """One step further, about the view's centre."""
        self._zoom_about_centre(self.zoom / ZOOM_STEP)

    def actual_size(self) -> None:
        """One image pixel per screen pixel."""
        self._zoom_about_centre(1.0)

    def fit(self) -> None:
        """Fit the whole image in the view (and keep fitting as the window resizes)."""
        rect = self.scene().sceneRect()
        if rect.isEmpty():
            self.fit_mode = True
            return
        view = self.viewport().rect().adjusted(16, 16, -16, -16)
        zoom = min(view.width() / rect.width(), view.height() / rect.height())
        if zoom >= 1:  # whole steps keep pixels square and even
            zoom = max(1.0, float(int(zoom)))
        self.set_zoom(zoom, fit_mode=True)
        self.centerOn(rect.center())

    def _zoom_about_centre(self, zoom: float) -> None:
        anchor = self.transformationAnchor()
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.set_zoom(zoom)
        self.setTransformationAnchor(anchor)

    def _update_sampling(self) -> None:
        smooth = self.zoom < 1.0
        mode = (
            Qt.TransformationMode.SmoothTransformation
            if smooth
            else Qt.TransformationMode.FastTransformation
        )
        self.pixmap_item.setTransformationMode(mode)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, smooth)

    # ------------------------------------------------------------------ events

    def wheelEvent(self, event: QWheelEvent) -> None:
        """Zoom about the cursor."""
        steps = event.angleDelta().y() / 120
        if steps:
            self.set_zoom(self.zoom * ZOOM_STEP**steps)
            event.accept()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Keep fitting the image while in fit mode."""
        super().resizeEvent(event)
        if self.fit_mode:
            self.fit()

    def drawBackground(self, painter: QPainter, rect: QRectF | QRect) -> None:
        """The view's background, and a screen-aligned checkerboard under the image."""
        super().drawBackground(painter, rect)
        if self.pixmap_item.pixmap().isNull():
            return
        # Drawn in scene units (so it lines up with the image exactly), with the brush
        # scaled back so that its squares keep the same size on screen at any zoom.
        brush = QBrush(self._checker)
        brush.setTransform(QTransform.fromScale(1 / self.zoom, 1 / self.zoom))
        painter.fillRect(self.pixmap_item.sceneBoundingRect(), brush)

    def paintEvent(self, event: QPaintEvent) -> None:
        """Paint, then report how long the newest frame took from request to screen."""
        super().paintEvent(event)
        if self._stamp is not None:
            elapsed = (time.perf_counter() - self._stamp) * 1000
            self._stamp = None
            self.framePainted.emit(elapsed)
