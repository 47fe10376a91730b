"""The creative panels (crossbreed, variations), installed together: they share what
was last adopted, so a child of a child can be made."""

from __future__ import annotations

from studio.ui.adopt import Adopted
from studio.ui.gallery_actions import GalleryActions
from studio.ui.mix_panel import MixPanel, install_mix_panel
from studio.ui.panel_context import PanelContext
from studio.ui.variations import VariationsPanel, install_variations


def install_creative(
    ctx: PanelContext, gallery: GalleryActions
) -> tuple[MixPanel, VariationsPanel]:
    """The ``mixPanel`` and ``variationsDock`` docks and their actions."""
    adopted = Adopted()
    return install_mix_panel(ctx, gallery, adopted), install_variations(ctx, gallery, adopted)
