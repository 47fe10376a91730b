"""Reading recipes from outside data: any input is a recipe, None, or a RecipeError."""

from __future__ import annotations

import io
import json
import struct
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, PngImagePlugin

from studio.imaging import metadata
from studio.imaging.recipe_read import (
    MAX_RECIPE_BYTES,
    MAX_RECIPE_DEPTH,
    RECIPE_KEY,
    RecipeError,
    json_depth,
    parse_recipe_json,
    read_recipe,
)

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)


def _png(text_chunks: dict[str, str] | None = None, zip_: bool = False) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in (text_chunks or {}).items():
        info.add_itxt(key, value, zip=zip_)
    buf = io.BytesIO()
    Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(buf, format="PNG", pnginfo=info)
    return buf.getvalue()


def _jpeg_with_xmp(xmp: bytes) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(buf, format="JPEG", xmp=xmp)
    return buf.getvalue()


def _outcome(fn, *args):
    try:
        return fn(*args)
    except RecipeError as exc:
        assert str(exc).strip() and "\n" not in str(exc)
        return exc


def test_the_reader_is_the_one_metadata_offers() -> None:
    assert metadata.read_recipe is read_recipe and metadata.RecipeError is RecipeError
    assert metadata.RECIPE_KEY == RECIPE_KEY


@given(json_values)
@FAST
def test_any_json_value_is_an_object_or_refused(value) -> None:
    out = _outcome(parse_recipe_json, json.dumps(value))
    if isinstance(value, dict):
        assert out == value
    else:
        assert isinstance(out, RecipeError) and "not an object" in str(out)


@given(st.text(max_size=200))
@FAST
def test_any_text_is_an_object_or_refused(text: str) -> None:
    out = _outcome(parse_recipe_json, text)
    assert isinstance(out, dict | RecipeError)


@given(st.binary(max_size=200))
@FAST
def test_any_bytes_are_an_object_or_refused(data: bytes) -> None:
    assert isinstance(_outcome(parse_recipe_json, data), dict | RecipeError)


@given(st.binary(max_size=400))
@FAST
def test_any_file_bytes_give_a_recipe_none_or_a_recipe_error(data: bytes) -> None:
    for blob in (data, b"\x89PNG\r\n\x1a\n" + data, b"<ls:recipe>" + data):
        out = _outcome(read_recipe, blob)
        assert out is None or isinstance(out, dict | RecipeError)


@given(st.text(max_size=200), st.booleans())
@FAST
def test_any_png_text_chunk_gives_a_recipe_or_a_recipe_error(text: str, zip_: bool) -> None:
    out = _outcome(read_recipe, _png({RECIPE_KEY: text}, zip_))
    assert isinstance(out, dict | RecipeError)


@given(json_values)
@FAST
def test_any_json_in_xmp_gives_a_recipe_or_a_recipe_error(value) -> None:
    xmp = metadata.build_xmp(None).replace(
        b"</rdf:Description>",
        b"<ls:recipe>" + json.dumps(value).replace("<", "&lt;").encode() + b"</ls:recipe>"
        b"</rdf:Description>",
    )
    for blob in (_jpeg_with_xmp(xmp), _png({"XML:com.adobe.xmp": xmp.decode()})):
        out = _outcome(read_recipe, blob)
        assert out == value if isinstance(value, dict) else isinstance(out, RecipeError)


@given(st.binary(min_size=1, max_size=300), st.sampled_from([b"tEXt", b"zTXt", b"iTXt"]))
@FAST
def test_any_damaged_png_text_chunk_gives_a_recipe_none_or_a_recipe_error(
    body: bytes, kind: bytes
) -> None:
    head = RECIPE_KEY.encode() + b"\x00"
    chunk = struct.pack(">I", len(head + body)) + kind + head + body + b"\x00" * 4
    data = _png() + chunk
    out = _outcome(read_recipe, data[:8] + chunk + data[8:])
    assert out is None or isinstance(out, dict | RecipeError)


@pytest.mark.parametrize(("text", "word"), [("[1, 2]", "list"), ("3", "number"), ('"a"', "string")])
def test_json_that_is_not_an_object_is_refused_in_one_line(text: str, word: str) -> None:
    with pytest.raises(RecipeError, match=f"JSON {word}, not an object"):
        read_recipe(_png({RECIPE_KEY: text}))


@pytest.mark.parametrize("where", ["itxt", "xmp"])
def test_deep_nesting_is_refused_before_parsing(where: str) -> None:
    deep = "[" * 10_000 + "]" * 10_000
    if where == "itxt":
        data = _png({RECIPE_KEY: '{"model": "m", "x": ' + deep + "}"})
    else:
        data = _jpeg_with_xmp(b"<x><ls:recipe>" + deep.encode() + b"</ls:recipe></x>")
    with pytest.raises(RecipeError, match=r"nests 1000[01] levels"):
        read_recipe(data)


def test_brackets_inside_strings_do_not_count() -> None:
    text = json.dumps({"model": "[[[[" * 100, "edits": [[1]]})
    assert json_depth(text) == 3
    assert parse_recipe_json(text)["model"].startswith("[[[[")
    at_limit = "[" * (MAX_RECIPE_DEPTH - 1) + "]" * (MAX_RECIPE_DEPTH - 1)
    assert parse_recipe_json('{"a": ' + at_limit + "}")["a"]


def test_size_nan_infinity_and_bad_unicode_are_refused() -> None:
    with pytest.raises(RecipeError, match="too large"):
        parse_recipe_json('{"a": "' + "x" * MAX_RECIPE_BYTES + '"}')
    for bad in ('{"t": NaN}', '{"t": Infinity}', '{"t": 1e999}', '{"m": "\\ud800"}'):
        with pytest.raises(RecipeError):
            parse_recipe_json(bad)
    with pytest.raises(RecipeError, match="not valid JSON"):
        parse_recipe_json('{"n": ' + "1" * 5000 + "}")


def test_a_compressed_text_bomb_is_refused() -> None:
    bomb = zlib.compress(b" " * (MAX_RECIPE_BYTES + 10))
    body = RECIPE_KEY.encode() + b"\x00\x01\x00\x00\x00" + bomb
    chunk = struct.pack(">I", len(body)) + b"iTXt" + body + struct.pack(">I", zlib.crc32(body))
    data = _png()
    with pytest.raises(RecipeError, match="too large"):
        read_recipe(data[:33] + chunk + data[33:])


def test_text_after_the_image_data_is_found_without_decoding() -> None:
    data = _png()
    body = RECIPE_KEY.encode() + b"\x00" + b'{"model": "late"}'
    chunk = struct.pack(">I", len(body)) + b"tEXt" + body + struct.pack(">I", zlib.crc32(body))
    iend = data.rindex(b"IEND") - 4
    assert read_recipe(data[:iend] + chunk + data[iend:]) == {"model": "late"}


def test_an_unterminated_xmp_recipe_is_refused_quickly() -> None:
    # Many openings and no end: a search per opening would take quadratic time.
    data = b"GIF89a" + b"<ls:recipe>{" * 200_000
    with pytest.raises(RecipeError, match="unterminated"):
        read_recipe(data)
