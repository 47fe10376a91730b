"""Adopting and keeping a made child (a crossbred one, a variation): shared by the mix
panel and the variations grid.

A child is not a plain session state (its latent is a blend of other recipes), so
adopting one is its own undo step: redo shows the child on the canvas and remembers its
recipe as the current one; undo shows the state that was current before again.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import numpy as np
from PySide6.QtGui import QUndoCommand

from studio.gallery import GalleryError, Item
from studio.pipelines.mix import AnyRecipe
from studio.pipelines.render import Recipe
from studio.ui.gallery_actions import GalleryActions
from studio.ui.panel_context import PanelContext


class Adopted:
    """The child last adopted (its recipe and pixels), while it is what the canvas shows."""

    def __init__(self) -> None:
        self.recipe: AnyRecipe | None = None
        self.image: np.ndarray | None = None


def plain_recipe(recipe: Any) -> Recipe:
    """A session state or render request as a plain :class:`Recipe` (what a mix nests)."""
    return Recipe(**{f.name: getattr(recipe, f.name) for f in fields(Recipe)})


class AdoptCommand(QUndoCommand):
    """Show ``image`` (made by ``recipe``) as the current picture; undo shows the
    session's committed state again."""

    def __init__(
        self, ctx: PanelContext, adopted: Adopted, recipe: AnyRecipe, image: np.ndarray, text: str
    ) -> None:
        super().__init__(text)
        self.ctx = ctx
        self.adopted = adopted
        self.recipe = recipe
        self.image = image.copy()
        self.before = ctx.controller.committed
        self.before_recipe = adopted.recipe
        self.before_image = adopted.image

    def redo(self) -> None:
        """Show the child."""
        self.adopted.recipe, self.adopted.image = self.recipe, self.image
        self.ctx.canvas.set_image(self.image)
        self.ctx.notice.hide()
        # Said plainly until the session can hold a mix: the sliders and the seed still
        # edit the picture the child came from (undo comes back to the child).
        self.ctx.status.showMessage(
            f"{self.text()}: keep it (Ctrl+K), crossbreed or vary it; the sliders and the "
            "seed still edit the picture it came from.",
            10000,
        )

    def undo(self) -> None:
        """Show what was there before."""
        self.adopted.recipe, self.adopted.image = self.before_recipe, self.before_image
        if self.before_image is not None:
            self.ctx.canvas.set_image(self.before_image)
        else:
            self.ctx.controller.apply(self.before)  # re-renders the previous picture


def current_parent(ctx: PanelContext, adopted: Adopted) -> tuple[AnyRecipe, np.ndarray] | None:
    """The recipe and pixels of the picture on the canvas (an adopted child, or the
    session's shown state), None before the first frame."""
    frame = ctx.current_frame()
    if frame is None:
        return None
    recipe, image = adopted.recipe, adopted.image
    if recipe is not None and image is not None and np.array_equal(frame, image):
        return recipe, frame
    shown = ctx.controller.shown_state
    if shown is None:
        return None
    return plain_recipe(shown), frame


def keep_child(
    ctx: PanelContext,
    gallery: GalleryActions,
    image: np.ndarray,
    recipe: AnyRecipe,
    parents: list[int],
) -> Item | None:
    """Keep ``image`` in the gallery with ``recipe`` and its ``parents`` (gallery ids) as
    lineage; a problem is one line in the notice bar."""
    store = gallery.gallery
    if store is None:
        ctx.notice.show_error("The gallery cannot be used, so nothing can be kept.")
        return None
    info = ctx.controller.model_info
    sha = info.sha256 if info is not None and info.name == recipe.model else ""
    data = {**recipe.to_dict(), "model_sha256": sha}
    try:
        item = store.keep(image, data, model=recipe.model, model_sha256=sha, parents=parents)
    except GalleryError as exc:
        ctx.notice.show_error(str(exc))
        return None
    gallery.refresh()
    ctx.status.showMessage(f"Kept image #{item.id}", 4000)
    gallery.kept.emit(item)
    return item
