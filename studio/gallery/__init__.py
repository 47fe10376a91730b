"""The durable store of kept images and everything needed to remake each one (no Qt)."""

from studio.gallery.store import Gallery, GalleryError, Item

__all__ = ["Gallery", "GalleryError", "Item"]
