"""The safetensors header parser: malformed headers are refused in one plain line.

Property tests feed it arbitrary bytes, arbitrary JSON and near-valid headers; whatever
comes in, it returns a checked header or raises ``CheckpointError`` naming the file,
never anything else. Whatever it accepts, safetensors itself must accept too.
"""

from __future__ import annotations

import json
import math
import os
import struct

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from studio.models.checkpoint import CheckpointError, read_header
from studio.models.header import (
    DTYPE_BYTES,
    MAX_HEADER_BYTES,
    SafetensorsHeader,
    parse_bytes,
    read_safetensors_header,
)

NAME = "probe.safetensors"
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def file_bytes(header: object, data: bytes = b"", raw: bytes | None = None) -> bytes:
    """A safetensors file: length, JSON header (or ``raw`` header bytes), data."""
    text = raw if raw is not None else json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def check(data: bytes) -> SafetensorsHeader | None:
    """Parse ``data``; a refusal must be a CheckpointError with a message naming it."""
    try:
        return parse_bytes(data, NAME)
    except CheckpointError as exc:
        message = str(exc)
        assert message and NAME in message and "\n" not in message
        return None


def refused(data: bytes, *words: str) -> str:
    with pytest.raises(CheckpointError) as info:
        parse_bytes(data, NAME)
    message = str(info.value)
    assert NAME in message
    for word in words:
        assert word in message, message
    return message


def one_tensor(**entry: object) -> dict:
    base: dict[str, object] = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}
    base.update(entry)
    return {"__metadata__": {"k": "v"}, "w": base}


# ---------------------------------------------------------------- targeted cases


def test_a_good_header_parses():
    data = st_save({"a": torch.zeros(2, 3), "b": torch.ones(4, dtype=torch.float16)}, {"k": "v"})
    header = check(data)
    assert header is not None
    assert header.metadata == {"k": "v"}
    assert header.tensors["a"].shape == (2, 3) and header.tensors["a"].dtype == "F32"
    assert header.tensors["b"].end - header.tensors["b"].begin == 8
    assert header.data_size == 24 + 8


@pytest.mark.parametrize(
    ("offsets", "words"),
    [
        (None, "data_offsets null"),
        ([8], "data_offsets a list of 1"),
        ([], "data_offsets a list of 0"),
        ([0, 4, 8], "data_offsets a list of 3"),
        (["0", "8"], "data_offsets holding a string"),
        ([0, 8.0], "data_offsets holding a decimal number"),
        ([False, True], "data_offsets holding true/false"),
        ("0-8", "data_offsets a string"),
        ({"begin": 0}, "data_offsets an object"),
        ([8, 0], "do not run forwards"),
        ([-8, 0], "do not run forwards"),
        ([0, 4], "do not fit its shape"),
        ([0, 12], "truncated"),
    ],
)
def test_bad_data_offsets_are_refused(offsets, words):
    refused(file_bytes(one_tensor(data_offsets=offsets), b"\0" * 8), words)


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ({"dtype": None}, "unknown dtype null"),
        ({"dtype": "F33"}, "unknown dtype 'F33'"),
        ({"dtype": 4}, "unknown dtype a number"),
        ({"shape": None}, "shape"),
        ({"shape": [2.0]}, "whole numbers"),
        ({"shape": [-2]}, "whole numbers"),
        ({"shape": [True, 2]}, "whole numbers"),
        ({"shape": "2"}, "shape"),
        ({"shape": [1] * 17}, "at most 16"),
        ({"offsets": [0, 8]}, "unknown field 'offsets'"),
    ],
)
def test_bad_tensor_fields_are_refused(entry, words):
    refused(file_bytes(one_tensor(**entry), b"\0" * 8), words)


def test_a_missing_field_is_named():
    header = one_tensor()
    del header["w"]["shape"]
    refused(file_bytes(header, b"\0" * 8), "has no shape")


@pytest.mark.parametrize("info", [None, 7, "F32", [0, 8]])
def test_a_tensor_that_is_not_an_object_is_refused(info):
    refused(file_bytes({"w": info}, b"\0" * 8), "tensor 'w'", "not an object")


@pytest.mark.parametrize("metadata", [[], "text", 3, {"k": 1}, {"k": None}, {"k": {"a": "b"}}])
def test_metadata_must_map_text_to_text(metadata):
    refused(file_bytes({"__metadata__": metadata}), "__metadata__")


def test_no_metadata_and_no_tensors_is_an_empty_header():
    header = check(file_bytes({"__metadata__": None}))
    assert header is not None and header.metadata == {} and header.tensors == {}


def test_overlaps_gaps_and_spare_bytes_are_refused():
    two = {
        "a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
        "b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
    }
    refused(file_bytes(two, b"\0" * 4), "overlaps another")
    two["b"]["data_offsets"] = [8, 12]
    refused(file_bytes(two, b"\0" * 12), "leaves a gap")
    two["b"]["data_offsets"] = [4, 8]
    assert check(file_bytes(two, b"\0" * 8)) is not None
    refused(file_bytes(two, b"\0" * 9), "1 bytes after its tensors")


def test_zero_sized_tensors_may_share_an_offset():
    empty = {"dtype": "F32", "shape": [0, 2**62], "data_offsets": [4, 4]}
    header = {
        "e": empty,
        "f": dict(empty),
        "w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
    }
    data = file_bytes(header, b"\0" * 4)
    assert check(data) is not None
    assert st_load(data)["e"].numel() == 0  # safetensors agrees


@pytest.mark.parametrize(
    ("declared", "words"),
    [
        (2**64 - 1, "header claims"),
        (MAX_HEADER_BYTES + 1, "header claims"),
        (10_000, "runs past the end"),
        (0, "empty"),
    ],
)
def test_a_wrong_header_length_is_refused_without_reading_on(declared, words):
    refused(struct.pack("<Q", declared) + b"{}" + b"\0" * 30, words)


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[1, 2]", "not a JSON object"),
        (b'"text"', "not a JSON object"),
        (b"{not json", "unreadable"),
        (b'{"w": NaN}', "unreadable"),
        (b'{"a": 1, "a": 2}', "appears twice"),
        (b'{"w": {"shape": [' + b"9" * 5000 + b"]}}", "unreadable"),
        (b'{"a":' * 200_000 + b"1" + b"}" * 200_000, "nested too deeply"),
        (b'{"a":' + b"[" * 200_000 + b"]" * 200_000 + b"}", "nested too deeply"),
    ],
)
def test_unreadable_json_is_refused(raw, words):
    refused(file_bytes(None, raw=raw), words)


def test_too_short_files_are_refused():
    for size in range(8):
        refused(b"\0" * size, "too short")


def test_read_from_a_file_names_it(tmp_path):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(file_bytes(one_tensor(data_offsets=None), b"\0" * 8))
    with pytest.raises(CheckpointError, match="bad.safetensors is not a valid") as info:
        read_header(path)
    assert "data_offsets null" in str(info.value)
    with pytest.raises(CheckpointError, match="Cannot read absent.safetensors"):
        read_safetensors_header(tmp_path / "absent.safetensors")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_at_once(tmp_path):
    fifo = tmp_path / "pipe.safetensors"
    os.mkfifo(fifo)
    with pytest.raises(CheckpointError, match="pipe.safetensors is not a regular file"):
        read_safetensors_header(fifo)  # would block forever in a plain open()


# ---------------------------------------------------------------- properties

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)


@st.composite
def near_valid_files(draw: st.DrawFn) -> tuple[dict, int]:
    """A valid header with up to two fields replaced by arbitrary JSON, and a data size
    that is sometimes a byte off: reaches every check, and is often still valid."""
    specs = draw(
        st.lists(
            st.tuples(
                st.sampled_from(sorted(DTYPE_BYTES)),
                st.lists(st.integers(0, 3), max_size=3),
            ),
            max_size=4,
        )
    )
    header: dict = {}
    position = 0
    for i, (dtype, shape) in enumerate(specs):
        size = math.prod(shape) * DTYPE_BYTES[dtype]
        header[f"t{i}"] = {
            "dtype": dtype,
            "shape": shape,
            "data_offsets": [position, position + size],
        }
        position += size
    if draw(st.booleans()):
        header["__metadata__"] = draw(
            st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=2)
        )
    for _ in range(draw(st.integers(0, 2))):
        if not header:
            break
        key = draw(st.sampled_from(sorted(header)))
        field = draw(st.sampled_from(["dtype", "shape", "data_offsets", "extra", ""]))
        value = draw(json_values | st.integers(-2, 40))
        if key == "__metadata__" or not field or not isinstance(header[key], dict):
            header[key] = value
        else:
            header[key][field] = value
    return header, max(0, position + draw(st.sampled_from([0, 0, 0, 1, -1])))


@FAST
@given(st.binary(max_size=300))
def test_any_bytes_parse_or_are_refused(data):
    check(data)


@FAST
@given(st.binary(max_size=200), st.binary(max_size=64))
def test_any_header_bytes_parse_or_are_refused(text, data):
    check(file_bytes(None, data, raw=text))


@FAST
@given(json_values, st.integers(min_value=0, max_value=64))
def test_any_json_header_parses_or_is_refused(value, data_size):
    check(file_bytes(value, b"\0" * data_size))


@FAST
@given(near_valid_files())
def test_near_valid_headers_parse_only_when_safetensors_agrees(case):
    header, data_size = case
    data = file_bytes(header, b"\0" * data_size)
    parsed = check(data)
    if parsed is None:
        return
    tensors = st_load(data)  # accepted here: safetensors must accept it too
    assert set(tensors) == set(parsed.tensors)
    for name, span in parsed.tensors.items():
        assert tuple(tensors[name].shape) == span.shape
        assert span.end - span.begin == math.prod(span.shape) * DTYPE_BYTES[span.dtype]


tensor_dtypes = st.sampled_from(
    [torch.float32, torch.float16, torch.bfloat16, torch.int64, torch.uint8]
)


@FAST
@given(
    st.dictionaries(
        st.text(min_size=1, max_size=6),
        st.tuples(st.lists(st.integers(0, 3), max_size=3), tensor_dtypes),
        max_size=4,
    ),
    st.dictionaries(st.text(max_size=6), st.text(max_size=6), max_size=3),
)
def test_every_file_safetensors_writes_is_accepted(specs, metadata):
    tensors = {k: torch.zeros(shape, dtype=dtype) for k, (shape, dtype) in specs.items()}
    data = st_save(tensors, metadata or None)
    parsed = parse_bytes(data, NAME)
    assert parsed.metadata == metadata
    assert {k: list(v.shape) for k, v in parsed.tensors.items()} == {
        k: shape for k, (shape, _) in specs.items()
    }
