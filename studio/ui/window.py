"""The studio window: canvas in the middle, model and latent controls on the right."""

from __future__ import annotations

import logging

import numpy as np
from PySide6.QtCore import QEvent, QObject, QSignalBlocker, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QColor
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from studio.app.bridge import EngineBridge
from studio.app.controller import SessionController
from studio.app.session import SessionState
from studio.app.settings import open_settings
from studio.engine import Engine
from studio.engine.handlers import ModelInfo, RenderResult
from studio.gallery import Item
from studio.models.catalog import list_models, user_model_dir
from studio.ui.actions import build_actions
from studio.ui.canvas import CanvasView
from studio.ui.creative import install_creative
from studio.ui.gallery_actions import install_gallery
from studio.ui.latent_panel import LatentPanel
from studio.ui.model_picker import ModelPicker
from studio.ui.naming import named
from studio.ui.notice import NoticeBar
from studio.ui.panel_context import PanelContext
from studio.ui.persistence import (
    initial_state,
    read_bool,
    restore_window,
    save_window,
    showcase_seed,
)
from studio.ui.status import StudioStatusBar
from studio.ui.theme import apply_theme, canvas_colour
from studio.ui.train_dock import install_train_panel

log = logging.getLogger(__name__)

BUSY_DELAY_MS = 400
# Places for panels that fill them later (the gallery) or come with later issues.
BOTTOM, RIGHT = Qt.DockWidgetArea.BottomDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
LATER_PANELS = (
    ("galleryDock", "Gallery", "Kept images will be listed here.", BOTTOM),
    ("styleDock", "Style", "Style transfer will live here.", RIGHT),
    ("colorizationDock", "Colorization", "Colorizing line art will live here.", RIGHT),
)


class PanelScroll(QScrollArea):
    """Scrolls its panel vertically, and is always wide enough to show all of it."""

    def __init__(self, body: QWidget) -> None:
        super().__init__()
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setWidget(body)
        self._last_width = -1
        body.installEventFilter(self)

    def minimumSizeHint(self) -> QSize:
        """The panel's own minimum width plus a vertical scroll bar."""
        hint = super().minimumSizeHint()
        body = self.widget()
        if body is not None:
            bar = self.verticalScrollBar().sizeHint().width()
            hint.setWidth(max(320, body.minimumSizeHint().width() + bar + 2 * self.frameWidth()))
        return hint

    def sizeHint(self) -> QSize:
        """As wide as the minimum: the canvas gets the rest."""
        hint = super().sizeHint()
        hint.setWidth(self.minimumSizeHint().width())
        return hint

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Re-measure when the panel's layout changes (e.g. another model's labels)."""
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            # Only when the panel's width need changed: a slider's value label asks for
            # a layout on every move, and re-laying out the window each time is costly.
            body = self.widget()
            width = body.minimumSizeHint().width() if body is not None else -1
            if width != self._last_width:
                self._last_width = width
                self.updateGeometry()
        return False


class MainWindow(QMainWindow):
    """The studio. ``frameShown(np.ndarray)`` fires after each frame reaches the canvas;
    :meth:`current_frame` returns a copy of the pixels on it."""

    frameShown = Signal(object)

    def __init__(self, engine: Engine, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle("Latent Studio")
        self.settings = open_settings()
        self.bridge = EngineBridge(engine, self)
        entries = list_models()
        usable = [e.name for e in entries if not e.error]
        seeds = {e.name: showcase_seed(e.meta) for e in entries if not e.error}
        start = initial_state(self.settings, usable, seeds)
        self.controller = SessionController(self.bridge, start, self)
        self.clean_shutdown: bool | None = None
        self._closed = False
        self.dark_theme = read_bool(self.settings, "ui/dark", True)

        self.canvas = CanvasView()
        self.notice = NoticeBar()
        central = named(QWidget(), "centralArea")
        column = QVBoxLayout(central)
        column.setContentsMargins(6, 6, 6, 0)
        column.setSpacing(6)
        column.addWidget(self.notice)
        column.addWidget(self.canvas, 1)
        self.setCentralWidget(central)

        self.status = StudioStatusBar()
        self.setStatusBar(self.status)
        # What every dock installer gets instead of this window (see panel_context.py).
        self.context = PanelContext(
            window=self,
            bridge=self.bridge,
            controller=self.controller,
            canvas=self.canvas,
            notice=self.notice,
            status=self.status,
            settings=self.settings,
            keep=self.keep_image,
        )
        self.docks: list[QDockWidget] = self.context.docks
        self.actions_by_name: dict[str, QAction] = self.context.actions
        self.model_picker = ModelPicker(self.controller, entries)
        self.latent_panel = LatentPanel(self.controller, settings=self.settings)
        self._controls_dock()
        for panel in LATER_PANELS:
            self._later_dock(*panel)
        build_actions(self.context, self.latent_panel.random_seed)
        with QSignalBlocker(self.theme_action):  # panels read the theme as they install
            self.theme_action.setChecked(self.dark_theme)
        self.train_panel = install_train_panel(self.context)
        self.train_panel.published.connect(self._model_published)
        self.train_panel.openModel.connect(self.open_model)
        self.gallery = install_gallery(self.context)
        self.mix_panel, self.variations = install_creative(self.context, self.gallery)
        self._busy_timer = QTimer(self, singleShot=True, interval=BUSY_DELAY_MS)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self._wire()

        if not restore_window(self.context):
            self.resize(1280, 820)
        self.gallery.show_at_start()
        self.set_dark_theme(self.dark_theme)
        if not usable:
            self.notice.show_error(
                f"No models found. Put .safetensors models in {user_model_dir()}."
            )
            self.latent_panel.setEnabled(False)
        self.status.showMessage("Ready", 3000)
        self.controller.start()

    # ------------------------------------------------------------------ building

    def _controls_dock(self) -> QDockWidget:
        body = named(QWidget(), "controlsBody")
        column = QVBoxLayout(body)
        column.setContentsMargins(8, 8, 8, 8)
        column.addWidget(self.model_picker)
        column.addWidget(self.latent_panel, 1)
        features = (
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        return self.context.add_dock(
            PanelScroll(body),
            "controlsDock",
            "Model and latent",
            Qt.DockWidgetArea.RightDockWidgetArea,
            hidden=False,
            features=features,
        )

    def _later_dock(self, name: str, title: str, text: str, area: Qt.DockWidgetArea) -> QDockWidget:
        """An empty, hidden place for a panel that comes later."""
        label = QLabel(text)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        return self.context.add_dock(label, name, title, area)

    def _wire(self) -> None:
        c, b = self.controller, self.bridge
        c.frameReady.connect(self._show_frame)
        c.modelReady.connect(self._model_ready)
        b.failed.connect(self._job_failed)
        b.note.connect(lambda text: self.status.showMessage(text, 8000))
        b.progress.connect(lambda _lane, value: self.status.set_progress(value))
        b.busyChanged.connect(self._busy_changed)
        self._busy_timer.timeout.connect(lambda: self.status.set_busy(b.busy))
        self.canvas.framePainted.connect(self.status.set_frame_ms)
        self.theme_action.toggled.connect(self.set_dark_theme)

    # ------------------------------------------------------------------ public

    @property
    def theme_action(self) -> QAction:
        """The light/dark toggle (objectName ``themeToggle``)."""
        return self.actions_by_name["themeToggle"]

    @property
    def state(self) -> SessionState:
        """The state being shown."""
        return self.controller.state

    def current_frame(self) -> np.ndarray | None:
        """A copy of the frame on the canvas (uint8 H×W×3), None before the first."""
        return self.context.current_frame()

    def keep_image(self) -> Item | None:
        """Keep the image on the canvas in the gallery (the panels' "keep" callback)."""
        return self.gallery.keep()

    def open_model(self, name: str) -> None:
        """Show model ``name`` (one undo step, as picking it in the picker is)."""
        combo = self.model_picker.combo
        index = combo.findData(name)
        if index >= 0:
            combo.setCurrentIndex(index)

    def set_dark_theme(self, dark: bool) -> None:
        """Switch theme and remember it."""
        self.dark_theme = dark
        apply_theme(self, dark)
        self.canvas.setBackgroundBrush(QColor(canvas_colour(dark)))
        self.settings.setValue("ui/dark", dark)

    # ------------------------------------------------------------------ events

    def _show_frame(self, result: RenderResult, state: SessionState, stamp: float) -> None:
        self.canvas.set_image(result.image, stamp)
        self.notice.hide()
        self.frameShown.emit(self.canvas.frame)

    def _model_published(self, name: str) -> None:
        """A new model was written: list it in the picker (and wake a window that had none)."""
        self.model_picker.refresh()
        if self.model_picker.usable_names() and not self.latent_panel.isEnabled():
            self.latent_panel.setEnabled(True)
            self.notice.hide()
        self.status.showMessage(f"New model {name} is in the model list.", 8000)

    def _model_ready(self, info: ModelInfo) -> None:
        self.status.set_device(info.device)
        self.setWindowTitle(f"Latent Studio — {info.name}")
        self.status.showMessage(
            f"Loaded {info.name} ({info.kind.upper()}, {info.resolution}×{info.resolution}) "
            f"on {info.device}",
            5000,
        )

    def _job_failed(self, message: str, details: str) -> None:
        log.error("Job failed: %s\n%s", message, details)
        self.notice.show_error(message, details)
        self.status.showMessage(f"Failed: {message}", 10000)

    def _busy_changed(self, busy: bool) -> None:
        if busy:
            self._busy_timer.start()
        else:
            self._busy_timer.stop()
            self.status.set_busy(False)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Save the window, then cancel jobs and join the engine (within a second)."""
        if not self._closed:
            self._closed = True
            save_window(self.context, self.dark_theme)
            self.clean_shutdown = self.bridge.shutdown(1.0)
        super().closeEvent(event)
