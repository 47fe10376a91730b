"""Read the recipe an image carries (PNG text chunk or XMP), refusing hostile ones.

The bytes come from outside, so everything here is bounded before any parsing: a recipe
over :data:`MAX_RECIPE_BYTES` or nested deeper than :data:`MAX_RECIPE_DEPTH` is refused
by a cheap scan (``json`` itself would recurse until ``RecursionError``), PNG chunks are
walked without decoding any pixels, and compressed text is inflated only up to the
limit. Every problem is a :class:`RecipeError` with a message for people.
"""

from __future__ import annotations

import html
import json
import math
import re
import struct
import zlib
from typing import Any

import numpy as np

from studio.imaging.decode import ImageError

RECIPE_KEY = "latent-studio:recipe"
XMP_KEY = "XML:com.adobe.xmp"
# A recipe holds a few numbers and at most a few latents: 4 MiB is thousands of floats.
MAX_RECIPE_BYTES = 4 * 1024 * 1024
# Recipes nest a few levels (a morph: its keyframes, each with its edits); far below
# the depth at which json's recursive parser fails.
MAX_RECIPE_DEPTH = 32
# html.escape turns one character into at most six ("&quot;").
_MAX_ESCAPED = 6 * MAX_RECIPE_BYTES + 64
_PNG = b"\x89PNG\r\n\x1a\n"
_OPEN, _CLOSE = b"<ls:recipe>", b"</ls:recipe>"
# A JSON string: quotes around anything but quotes and backslashes, or escapes.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)


class RecipeError(ImageError):
    """A recipe could not be used (malformed, too large, out of range); the message is
    for people. An image whose recipe is broken cannot be used either, hence the base."""


def json_depth(text: str) -> int:
    """How deeply ``text``'s brackets nest, counting only those outside JSON strings."""
    bare = _STRING.sub("", text).encode("utf-8", "replace")
    b = np.frombuffer(bare, dtype=np.uint8)
    opens = (b == ord("[")) | (b == ord("{"))
    closes = (b == ord("]")) | (b == ord("}"))
    if not opens.any():
        return 0
    return int(np.cumsum(opens.astype(np.int64) - closes.astype(np.int64)).max())


def _no_constant(name: str) -> Any:
    raise RecipeError(f"The recipe is not valid: {name} is not a number it may hold.")


def parse_recipe_json(text: str | bytes) -> dict[str, Any]:
    """A recipe object from JSON text, bounded in size and depth before parsing.

    Raises :class:`RecipeError` for text that is too large, too deep, not JSON, not an
    object, or holds NaN/Infinity or text that is not valid Unicode.
    """
    if isinstance(text, bytes):
        if len(text) > MAX_RECIPE_BYTES:
            raise _too_large(len(text))
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise RecipeError("The recipe is not valid: it is not UTF-8 text.") from None
    if len(text) > MAX_RECIPE_BYTES:
        raise _too_large(len(text))
    depth = json_depth(text)
    if depth > MAX_RECIPE_DEPTH:
        raise RecipeError(
            f"The recipe is not valid: it nests {depth} levels deep (at most {MAX_RECIPE_DEPTH})."
        )
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except RecipeError:
        raise
    except (ValueError, RecursionError) as exc:  # RecursionError: never, after the scan
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise RecipeError(f"The recipe is not valid JSON ({reason}).") from None
    if not isinstance(value, dict):
        raise RecipeError(
            f"The recipe is not valid: it is a JSON {_json_kind(value)}, not an object."
        )
    _check_values(value)
    return value


def _check_values(value: Any) -> None:
    """Refuse numbers too large for a float (1e999 parses as inf) and lone surrogates
    ("\\ud800" parses, but no file or database can store it). The depth is bounded, so
    the recursion is too."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise RecipeError("The recipe is not valid: it holds a number too large to use.")
    elif isinstance(value, str):
        _check_text(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_text(k)
            _check_values(v)
    elif isinstance(value, list):
        for v in value:
            _check_values(v)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise RecipeError("The recipe is not valid: it holds text that is not Unicode.") from None


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false value"
    return "number"


def _too_large(size: int) -> RecipeError:
    return RecipeError(
        f"The recipe is too large ({size / 1024:.0f} KB; at most {MAX_RECIPE_BYTES // 1024} KB)."
    )


def _inflate(data: bytes, limit: int) -> bytes:
    """zlib-decompress at most ``limit`` bytes; refuse a stream that would give more."""
    d = zlib.decompressobj()
    try:
        out = d.decompress(data, limit + 1)
    except zlib.error:
        raise RecipeError("The recipe's text chunk is damaged (bad compression).") from None
    if len(out) > limit:
        raise _too_large(len(out))
    return out


def png_text(data: bytes, keys: tuple[str, ...]) -> dict[str, str]:
    """The tEXt/zTXt/iTXt chunks named ``keys`` in PNG bytes, first of each key wins.

    Walks the chunk list without decoding pixels (text may follow the image data); a
    damaged chunk list ends the walk with what was found before it.
    """
    found: dict[str, str] = {}
    pos = len(_PNG)
    wanted = {k.encode("latin-1") for k in keys}
    while pos + 8 <= len(data) and len(found) < len(keys):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if len(body) < length or kind == b"IEND":
            break
        if kind not in (b"tEXt", b"zTXt", b"iTXt"):
            continue
        key, sep, rest = body.partition(b"\x00")
        if not sep or key not in wanted or key.decode("latin-1") in found:
            continue
        limit = _MAX_ESCAPED if key == XMP_KEY.encode() else MAX_RECIPE_BYTES
        if kind == b"tEXt":
            text = rest.decode("latin-1")
        elif kind == b"zTXt":
            text = _inflate(rest[1:], limit).decode("latin-1")
        else:
            if len(rest) < 2:
                continue
            compressed, rest = rest[0], rest[2:]
            parts = rest.split(b"\x00", 2)  # language, translated keyword, text
            if len(parts) < 3:
                continue
            raw = _inflate(parts[2], limit) if compressed else parts[2]
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise RecipeError("The recipe's text chunk is not UTF-8 text.") from None
        found[key.decode("latin-1")] = text
    return found


def recipe_from_xmp(data: bytes) -> dict[str, Any] | None:
    """The recipe in the first ``<ls:recipe>`` element of ``data``, or None."""
    start = data.find(_OPEN)
    if start < 0:
        return None
    start += len(_OPEN)
    end = data.find(_CLOSE, start, start + _MAX_ESCAPED + len(_CLOSE))
    if end < 0:
        raise RecipeError(
            "The recipe in the image's XMP is unterminated or too large "
            f"(at most {MAX_RECIPE_BYTES // 1024} KB)."
        )
    try:
        text = data[start:end].decode("utf-8")
    except UnicodeDecodeError:
        raise RecipeError("The recipe in the image's XMP is not UTF-8 text.") from None
    return parse_recipe_json(html.unescape(text))


def read_recipe(data: bytes) -> dict[str, Any] | None:
    """The recipe embedded in image bytes (PNG text chunk or XMP), or None if there is
    none. A recipe that is there but unusable raises :class:`RecipeError`."""
    if data.startswith(_PNG):
        text = png_text(data, (RECIPE_KEY, XMP_KEY))
        if RECIPE_KEY in text:
            return parse_recipe_json(text[RECIPE_KEY])
        if XMP_KEY in text:
            return recipe_from_xmp(text[XMP_KEY].encode("utf-8"))
    # JPEG APP1, WebP's XMP chunk, GIF's XMP extension and MP4's box all hold the XMP
    # packet as plain bytes, so the element is found without parsing the container.
    return recipe_from_xmp(data)
