"""The crossbreed panel (``mixPanel``): parents as thumbnails, weights per parent (a
GAN's coarse / middle / fine bands, a VAE's one weight), the child rendered live on the
preview lane (latest wins) and shown on the canvas; "Use child" adopts it as one undo
step, "Keep" keeps it in the gallery with its mix recipe and its parents as lineage."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from studio.app.images import array_to_qimage
from studio.engine import JobEvent
from studio.engine.handlers import ImagesResult
from studio.engine.requests import RenderMix
from studio.imaging.recipe_read import RecipeError
from studio.pipelines.mix import (
    BANDS,
    MAX_PARENTS,
    AnyRecipe,
    MixRecipe,
    band_weights,
    recipe_from_dict,
)
from studio.ui.adopt import AdoptCommand, Adopted, current_parent, keep_child
from studio.ui.gallery_actions import GalleryActions
from studio.ui.gallery_menus import add_context_action
from studio.ui.panel_context import PanelContext

THUMB = 64
SLIDER_STEPS = 100  # a weight of 0–1 in steps of 0.01


@dataclass
class Parent:
    """One parent: its recipe, its pixels, and its gallery id (None: not kept)."""

    recipe: AnyRecipe
    image: np.ndarray
    item_id: int | None = None


def weight_slider(name: str, value: float = 1.0) -> QSlider:
    """A 0–1 weight slider."""
    slider = QSlider(Qt.Orientation.Horizontal)
    slider.setObjectName(name)
    slider.setRange(0, SLIDER_STEPS)
    slider.setValue(round(value * SLIDER_STEPS))
    slider.setMinimumWidth(80)
    return slider


class MixPanel(QWidget):
    """Parents, their weights and the child. ``childReady(np.ndarray)`` when a child
    lands; ``problem(str)`` for a parent refused (also shown in the notice bar)."""

    childReady = Signal(object)
    problem = Signal(str)

    def __init__(self, ctx: PanelContext, gallery: GalleryActions, adopted: Adopted) -> None:
        super().__init__()
        self.setObjectName("mixPanelBody")
        self.ctx = ctx
        self.gallery = gallery
        self.adopted = adopted
        self.parents: list[Parent] = []
        self.sliders: list[list[QSlider]] = []
        self.child: tuple[MixRecipe, np.ndarray] | None = None
        self._in_flight: int | None = None
        self._dirty = False
        self._layout: tuple[str, int] | None = None
        self._build()
        ctx.bridge.resultReady.connect(self._on_result)
        ctx.bridge.jobEvent.connect(self._on_event)

    # ------------------------------------------------------------------ building

    def _build(self) -> None:
        column = QVBoxLayout(self)
        self.rows = QGridLayout()
        column.addLayout(self.rows)
        self.hint = QLabel("Add two parents or more: the current image, or gallery items.")
        self.hint.setWordWrap(True)
        column.addWidget(self.hint)
        self.child_label = QLabel()
        self.child_label.setObjectName("mixChild")
        self.child_label.setFixedSize(THUMB * 2, THUMB * 2)
        self.child_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        column.addWidget(self.child_label, 0, Qt.AlignmentFlag.AlignHCenter)
        buttons = QHBoxLayout()
        self.add_button = self._button("Add current", "mixAddCurrent", self.add_current)
        self.clear_button = self._button("Clear", "mixClear", self.clear)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.clear_button)
        column.addLayout(buttons)
        buttons = QHBoxLayout()
        self.use_button = self._button("Use child", "mixUseChild", self.use_child)
        self.keep_button = self._button("Keep", "mixKeep", self.keep_child)
        buttons.addWidget(self.use_button)
        buttons.addWidget(self.keep_button)
        column.addLayout(buttons)
        column.addStretch(1)
        self._enable()

    def _button(self, text: str, name: str, slot: object) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.clicked.connect(slot)
        return button

    def _enable(self) -> None:
        ready = self.child is not None
        self.use_button.setEnabled(ready)
        self.keep_button.setEnabled(ready)
        self.hint.setVisible(len(self.parents) < 2)

    def _kind(self) -> str:
        return self.layout_of[0]

    @property
    def layout_of(self) -> tuple[str, int]:
        """The parents' model kind and layer count, as it was when the first came
        (the window may have moved on to another model since)."""
        if self._layout is None:
            info = self.ctx.controller.model_info
            return (info.kind, info.num_layers) if info is not None else ("gan", 0)
        return self._layout

    def _rebuild_rows(self) -> None:
        while self.rows.count():
            item = self.rows.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.sliders = []
        bands = BANDS if self._kind() == "gan" else ("weight",)
        for col, band in enumerate(bands, start=1):
            self.rows.addWidget(QLabel(band), 0, col, Qt.AlignmentFlag.AlignHCenter)
        for p, parent in enumerate(self.parents):
            thumb = QLabel()
            thumb.setObjectName(f"mixParent{p}")
            image = array_to_qimage(parent.image)
            thumb.setPixmap(QPixmap.fromImage(image).scaled(THUMB, THUMB))
            thumb.setToolTip(f"{parent.recipe.model}, parent {p + 1}")
            self.rows.addWidget(thumb, p + 1, 0)
            row = []
            for col, band in enumerate(bands, start=1):
                slider = weight_slider(f"mixWeight{p}_{band}")
                slider.valueChanged.connect(self.render_child)
                self.rows.addWidget(slider, p + 1, col)
                row.append(slider)
            self.sliders.append(row)

    # ------------------------------------------------------------------ parents

    def add_parent(self, recipe: AnyRecipe, image: np.ndarray, item_id: int | None = None) -> bool:
        """Add a parent; one of another model than the others is refused in one line."""
        model = self.parents[0].recipe.model if self.parents else self.ctx.controller.state.model
        if recipe.model != model:
            self._refuse(
                f"That image comes from {recipe.model}, the mix is of {model}: "
                "a mix needs parents of one model."
            )
            return False
        if len(self.parents) >= MAX_PARENTS:
            self._refuse(f"A mix has at most {MAX_PARENTS} parents.")
            return False
        if not self.parents:
            self._layout = None
            self._layout = self.layout_of
        self.parents.append(Parent(recipe, image.copy(), item_id))
        self._rebuild_rows()
        self._enable()
        self.render_child()
        return True

    def add_current(self) -> bool:
        """Add the picture on the canvas as a parent."""
        current = current_parent(self.ctx, self.adopted)
        if current is None:
            self._refuse("There is no image to add yet.")
            return False
        return self.add_parent(*current)

    def add_items(self, ids: list[int]) -> int:
        """Add gallery items (by id) as parents; returns how many were added. Nothing is
        added when one is refused."""
        store = self.gallery.gallery
        if store is None or not ids:
            return 0
        try:
            found = [(store.get(i), store.image(i)) for i in ids]
            recipes = [
                (recipe_from_dict(item.recipe) if item.recipe else None, image, item)
                for item, image in found
            ]
        except (RecipeError, ValueError, OSError) as exc:
            self._refuse(f"That item cannot be crossbred: {exc}")
            return 0
        model = self.parents[0].recipe.model if self.parents else None
        for recipe, _image, item in recipes:
            if recipe is None:
                self._refuse(
                    f"{item.title or 'That item'} has no recipe, so it cannot be a parent."
                )
                return 0
            model = model or recipe.model
            if recipe.model != model:
                self._refuse(
                    f"The items come from different models ({recipe.model}, {model}): "
                    "a mix needs parents of one model."
                )
                return 0
        added = 0
        for recipe, image, item in recipes:
            assert recipe is not None
            added += self.add_parent(recipe, image, item.id)
        return added

    def clear(self) -> None:
        """Forget every parent and the child."""
        self.parents = []
        self._layout = None
        self.child = None
        self.child_label.clear()
        self._rebuild_rows()
        self._enable()

    def _refuse(self, text: str) -> None:
        self.ctx.notice.show_error(text)
        self.problem.emit(text)

    # ------------------------------------------------------------------ the child

    def weights(self) -> tuple[tuple[float, ...], ...]:
        """Per-parent, per-layer weights from the sliders."""
        values = [[s.value() / SLIDER_STEPS for s in row] for row in self.sliders]
        kind, num_ws = self.layout_of
        if kind == "gan":
            bands = {b: tuple(row[i] for row in values) for i, b in enumerate(BANDS)}
            return band_weights(len(values), num_ws, bands)
        return tuple((row[0],) for row in values)

    def recipe(self) -> MixRecipe | None:
        """The child's recipe (None with fewer than two parents)."""
        if len(self.parents) < 2:
            return None
        model = self.parents[0].recipe.model
        return MixRecipe(model, tuple(p.recipe for p in self.parents), self.weights())

    @Slot()
    def render_child(self) -> None:
        """Render the child for the current weights (one in flight; the newest follows)."""
        recipe = self.recipe()
        if recipe is None:
            return
        try:
            recipe.check()
        except RecipeError as exc:
            self.ctx.status.showMessage(str(exc), 4000)
            return
        if self._in_flight is not None:
            self._dirty = True
            return
        self._dirty = False
        if self.ctx.bridge.is_shut_down:
            return
        self._in_flight = self.ctx.bridge.submit(RenderMix(recipe), "preview")

    def _landed(self, job_id: int) -> None:
        if job_id != self._in_flight:
            return
        self._in_flight = None
        if self._dirty:
            self.render_child()

    @Slot(int, object)
    def _on_result(self, job_id: int, payload: object) -> None:
        if job_id != self._in_flight or not isinstance(payload, ImagesResult):
            return
        request = payload.request
        assert isinstance(request, RenderMix)
        image = payload.images[0]
        self.child = (request.recipe, image)
        self.child_label.setPixmap(
            QPixmap.fromImage(array_to_qimage(image)).scaled(THUMB * 2, THUMB * 2)
        )
        self.ctx.canvas.set_image(image)
        self._enable()
        self._landed(job_id)
        self.childReady.emit(image)

    @Slot(object)
    def _on_event(self, event: JobEvent) -> None:
        mine = self._in_flight
        if event.kind in ("failed", "cancelled"):
            self._landed(event.job_id)
        elif mine is not None and event.lane == "preview" and event.job_id > mine:
            # Another preview replaced ours (latest wins); the bridge drops the stale
            # "cancelled", so this newer event is all we hear of it.
            self._in_flight = None

    def use_child(self) -> None:
        """Make the child the current picture, as one undo step."""
        if self.child is None:
            return
        recipe, image = self.child
        self.ctx.undo_stack.push(AdoptCommand(self.ctx, self.adopted, recipe, image, "Crossbreed"))

    def keep_child(self) -> None:
        """Keep the child in the gallery with its mix recipe; its kept parents are its
        lineage."""
        if self.child is None:
            return
        recipe, image = self.child
        parents = [p.item_id for p in self.parents if p.item_id is not None]
        keep_child(self.ctx, self.gallery, image, recipe, parents)


def install_mix_panel(ctx: PanelContext, gallery: GalleryActions, adopted: Adopted) -> MixPanel:
    """The ``mixPanel`` dock, Tools ▸ Crossbreed (Ctrl+M), and "Crossbreed" in the
    gallery's context menu for its selection."""
    panel = MixPanel(ctx, gallery, adopted)
    ctx.add_dock(panel, "mixPanel", "Crossbreed", Qt.DockWidgetArea.RightDockWidgetArea)
    action = ctx.add_action("&Crossbreed…", "mixAction", ["Ctrl+M"], "Mix parents")
    action.triggered.connect(lambda: ctx.show_dock("mixPanel"))
    ctx.menu("&Tools").addAction(action)
    view = gallery.panel.view
    crossbreed = add_context_action(view, "Crossbreed", "galleryCrossbreedAction")

    def from_selection() -> None:
        ids = gallery.panel.selected_ids()
        if len(ids) + len(panel.parents) < 2:
            ctx.notice.show_error("Select two items or more to crossbreed.")
            return
        ctx.show_dock("mixPanel")
        panel.add_items(ids)

    crossbreed.triggered.connect(from_selection)
    return panel
