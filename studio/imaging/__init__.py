"""Pixels without torch: safe decoding, resizing, grids and metadata (numpy + Pillow)."""

from studio.imaging.decode import ImageError, decode_image, load_image
from studio.imaging.grid import contact_sheet
from studio.imaging.resize import fit_square

__all__ = ["ImageError", "contact_sheet", "decode_image", "fit_square", "load_image"]
