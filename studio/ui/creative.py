"""The creative panels (crossbreed, variations), installed together: they share what
was last adopted, so a child of a child can be made."""

from __future__ import annotations

import numpy as np

from studio.gallery import Item
from studio.ui.adopt import Adopted, keep_child
from studio.ui.gallery_actions import GalleryActions
from studio.ui.mix_panel import MixPanel, install_mix_panel
from studio.ui.panel_context import PanelContext
from studio.ui.variations import VariationsPanel, install_variations


def install_creative(
    ctx: PanelContext, gallery: GalleryActions
) -> tuple[MixPanel, VariationsPanel]:
    """The ``mixPanel`` and ``variationsDock`` docks and their actions."""
    adopted = Adopted()

    def keep_adopted() -> Item | None:
        """Ctrl+K on an adopted child keeps it with its own recipe (a mix, a variation)."""
        frame = ctx.current_frame()
        recipe, image = adopted.recipe, adopted.image
        if frame is None or recipe is None or image is None or not np.array_equal(frame, image):
            return None
        return keep_child(ctx, gallery, image, recipe, [])

    gallery.keep_first = keep_adopted
    return install_mix_panel(ctx, gallery, adopted), install_variations(ctx, gallery, adopted)
