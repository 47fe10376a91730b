"""Write images with their recipe and an honest disclosure; read the recipe back.

PNG gets iTXt chunks (``latent-studio:recipe`` as JSON, ``Software``) plus XMP; JPEG
and WebP get XMP. The XMP carries the recipe and the IPTC ``DigitalSourceType`` that
:func:`studio.imaging.provenance.digital_source_type` derives from it
(``trainedAlgorithmicMedia`` for a model's picture, none for an untouched import),
which standard tools (exiftool) show.
"""

from __future__ import annotations

import html
import io
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, PngImagePlugin

from studio import __version__
from studio.imaging.files import write_file
from studio.imaging.provenance import TRAINED, digital_source_type, disclosure
from studio.imaging.recipe_read import RecipeError as RecipeError  # re-exported: reading
from studio.imaging.recipe_read import read_recipe as read_recipe  # is bounded there

RECIPE_KEY = "latent-studio:recipe"
SOFTWARE = f"Latent Studio {__version__}"
DIGITAL_SOURCE_TYPE = TRAINED  # a model's picture; see studio.imaging.provenance
DISCLOSURE = disclosure(TRAINED)
# The default ``source`` of the writers: derive the DigitalSourceType from the recipe.
FROM_RECIPE = "from-recipe"
FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}


def source_of(recipe: dict[str, Any] | None, source: str | None = FROM_RECIPE) -> str | None:
    """The DigitalSourceType to write: ``source`` itself, or the recipe's when it is
    :data:`FROM_RECIPE` (a picture of many recipes, such as a sheet, passes its own)."""
    return digital_source_type(recipe) if source == FROM_RECIPE else source


def build_xmp(recipe: dict[str, Any] | None, source: str | None = FROM_RECIPE) -> bytes:
    """An XMP packet with the recipe as a property and, when the picture is a model's
    work, the IPTC DigitalSourceType and a sentence saying so."""
    recipe_xml = ""
    if recipe is not None:
        recipe_xml = (
            f"\n   <ls:recipe>{html.escape(json.dumps(recipe, sort_keys=True))}</ls:recipe>"
        )
    kind = source_of(recipe, source)
    claim = ""
    if kind:
        claim = (
            f"\n   <Iptc4xmpExt:DigitalSourceType>{html.escape(kind)}"
            "</Iptc4xmpExt:DigitalSourceType>"
            "\n   <dc:description><rdf:Alt>"
            f'\n    <rdf:li xml:lang="x-default">{html.escape(disclosure(kind))}</rdf:li>'
            "\n   </rdf:Alt></dc:description>"
        )
    packet = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:ls="https://latent.studio/ns/1.0/">
   <xmp:CreatorTool>{SOFTWARE}</xmp:CreatorTool>{claim}{recipe_xml}
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""
    return packet.encode("utf-8")


def encode_image(
    rgb: np.ndarray,
    fmt: str,
    recipe: dict[str, Any] | None = None,
    quality: int = 95,
    source: str | None = FROM_RECIPE,
) -> bytes:
    """Encode uint8 (H, W, 3) as PNG/JPEG/WEBP bytes with recipe and disclosure inside
    (``source``: the DigitalSourceType, by default the recipe's, None for no claim)."""
    img = Image.fromarray(np.ascontiguousarray(rgb[..., :3]).astype(np.uint8))
    xmp = build_xmp(recipe, source)
    buf = io.BytesIO()
    fmt = fmt.upper()
    if fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        if recipe is not None:
            info.add_itxt(RECIPE_KEY, json.dumps(recipe, sort_keys=True))
        info.add_itxt("Software", SOFTWARE)
        info.add_itxt("XML:com.adobe.xmp", xmp.decode("utf-8"))
        img.save(buf, format="PNG", pnginfo=info)
    elif fmt == "JPEG":
        img.save(buf, format="JPEG", quality=quality, xmp=xmp)
    elif fmt == "WEBP":
        img.save(buf, format="WEBP", quality=quality, xmp=xmp)
    else:
        raise ValueError(f"Unsupported format {fmt!r}; use PNG, JPEG or WebP.")
    return buf.getvalue()


def save_image(
    rgb: np.ndarray,
    path: str | os.PathLike[str],
    recipe: dict[str, Any] | None = None,
    quality: int = 95,
    source: str | None = FROM_RECIPE,
) -> Path:
    """Write an image atomically in the format its suffix names, with metadata.

    The file gets the permissions the umask gives (0644 under 022), like any program's
    output; ``source`` is as for :func:`encode_image`.
    """
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"Cannot tell the format of {path.name}; use .png, .jpg or .webp.")
    return write_file(path, encode_image(rgb, fmt, recipe, quality, source))
