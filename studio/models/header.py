"""The safetensors header, read and checked by the studio before safetensors sees it.

A model folder may hold files made by anyone. Every field of the header is checked for
its type and range here, so that a malformed file is refused with one plain line naming
it (a ``CheckpointError``) and never as a ``TypeError`` or ``KeyError`` from somewhere
deeper. The rules are safetensors' own, or stricter: the header is a JSON object; its
``__metadata__`` maps strings to strings; each tensor has a known ``dtype``, a ``shape``
of non-negative whole numbers and two ``data_offsets`` whose span holds exactly its
bytes; the tensors tile the data after the header with no gap and no overlap.

This module needs no torch, so it can be tested (and fuzzed) quickly on its own.
"""

from __future__ import annotations

import json
import math
import os
import stat
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Far above any header the studio writes (a few kB); bounded because the JSON text is
# parsed into Python objects several times its size.
MAX_HEADER_BYTES = 16 * 1024 * 1024
# safetensors allows more dimensions; no studio model uses more than a few.
MAX_DIMS = 16
MAX_DIM = 2**63 - 1
# Bytes per element of each safetensors dtype the studio can hand to torch.
DTYPE_BYTES = {
    "BOOL": 1,
    "U8": 1,
    "I8": 1,
    "F8_E5M2": 1,
    "F8_E4M3": 1,
    "I16": 2,
    "U16": 2,
    "F16": 2,
    "BF16": 2,
    "I32": 4,
    "U32": 4,
    "F32": 4,
    "I64": 8,
    "U64": 8,
    "F64": 8,
}
TENSOR_FIELDS = ("dtype", "shape", "data_offsets")
METADATA_KEY = "__metadata__"


class CheckpointError(ValueError):
    """A checkpoint could not be used; the message is for people."""


@dataclass(frozen=True)
class TensorSpan:
    """One tensor as the header describes it; offsets count from the end of the header."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    begin: int
    end: int


@dataclass(frozen=True)
class SafetensorsHeader:
    """A checked header: free-form metadata and where each tensor lies."""

    header_len: int
    metadata: dict[str, str]
    tensors: dict[str, TensorSpan]

    @property
    def data_size(self) -> int:
        """Bytes of tensor data the header accounts for."""
        return max((t.end for t in self.tensors.values()), default=0)


def header_length(first: bytes, file_size: int, name: str) -> int:
    """The header length from a file's first 8 bytes, checked against ``file_size``."""
    if len(first) < 8 or file_size < 8:
        raise CheckpointError(f"{name} is too short to be a safetensors file.")
    (n,) = struct.unpack("<Q", first[:8])
    if n > MAX_HEADER_BYTES:
        raise CheckpointError(
            f"{name} is not a valid safetensors file: its header claims {n:,} bytes "
            f"(at most {MAX_HEADER_BYTES:,} are read)."
        )
    if n > file_size - 8:
        raise CheckpointError(
            f"{name} is not a valid safetensors file: its header length ({n:,} bytes) "
            "runs past the end of the file."
        )
    if n < 2:
        raise CheckpointError(f"{name} is not a valid safetensors file: its header is empty.")
    return n


def _refuse_constant(text: str) -> Any:
    # Python's json reads NaN and Infinity; JSON (and safetensors) does not.
    raise ValueError(f"{text} is not JSON")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Two entries for one tensor would leave which one is used up to the reader.
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the key {key!r} appears twice")
        out[key] = value
    return out


def _load_json(text: bytes, name: str) -> Any:
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError:
        raise CheckpointError(f"{name} has an unreadable safetensors header (not UTF-8).") from None
    if not decoded.lstrip().startswith("{"):
        raise CheckpointError(
            f"{name} has an unreadable safetensors header (it is not a JSON object)."
        )
    try:
        return json.loads(
            decoded, object_pairs_hook=_no_duplicates, parse_constant=_refuse_constant
        )
    except RecursionError:
        raise CheckpointError(
            f"{name} has an unreadable safetensors header (nested too deeply)."
        ) from None
    except ValueError as exc:  # JSONDecodeError, duplicates, over-long numbers
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise CheckpointError(f"{name} has an unreadable safetensors header ({reason}).") from None


def _whole(value: object) -> bool:
    # bool is an int in Python but true/false are not numbers in a header.
    return isinstance(value, int) and not isinstance(value, bool)


def _tensor(key: str, info: object, data_size: int, name: str) -> TensorSpan:
    where = f"{name} is not a valid safetensors file: tensor {key[:80]!r}"
    if not isinstance(info, dict):
        raise CheckpointError(f"{where} is described by {_kind(info)}, not an object.")
    unknown = sorted(set(info) - set(TENSOR_FIELDS))
    if unknown:
        raise CheckpointError(f"{where} has an unknown field {unknown[0][:40]!r}.")
    missing = [f for f in TENSOR_FIELDS if f not in info]
    if missing:
        raise CheckpointError(f"{where} has no {missing[0]}.")
    dtype = info["dtype"]
    if not isinstance(dtype, str) or dtype not in DTYPE_BYTES:
        shown = repr(dtype[:20]) if isinstance(dtype, str) else _kind(dtype)
        raise CheckpointError(f"{where} has an unknown dtype {shown}.")
    shape = info["shape"]
    if not isinstance(shape, list) or len(shape) > MAX_DIMS:
        raise CheckpointError(
            f"{where} has a shape that is not a list of at most {MAX_DIMS} whole numbers."
        )
    if not all(_whole(d) and 0 <= d <= MAX_DIM for d in shape):
        raise CheckpointError(f"{where} has a shape that is not a list of whole numbers ≥ 0.")
    offsets = info["data_offsets"]
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(map(_whole, offsets))):
        if isinstance(offsets, list) and len(offsets) == 2:
            odd = next(v for v in offsets if not _whole(v))
            got = f"data_offsets holding {_kind(odd)}"
        else:
            got = f"data_offsets {_kind(offsets)}"
        raise CheckpointError(f"{where} has {got}; they should be two whole numbers.")
    begin, end = offsets
    if not 0 <= begin <= end:
        raise CheckpointError(f"{where} has data_offsets that do not run forwards.")
    if end > data_size:
        raise CheckpointError(
            f"{name} is truncated: tensor {key[:80]!r} runs past the end of the file."
        )
    if end - begin != math.prod(shape) * DTYPE_BYTES[dtype]:
        raise CheckpointError(f"{where} has data_offsets that do not fit its shape and dtype.")
    return TensorSpan(key, dtype, tuple(shape), begin, end)


def _kind(value: object) -> str:
    """A short, safe description of a JSON value for a message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, str):
        return "a string"
    return "a number" if isinstance(value, int) else "a decimal number"


def parse_header(text: bytes, data_size: int, name: str) -> SafetensorsHeader:
    """Check the header's JSON ``text`` for a file with ``data_size`` bytes after it."""
    header = _load_json(text, name)
    if not isinstance(header, dict):  # a guard: _load_json only lets an object through
        raise CheckpointError(f"{name} has an unreadable safetensors header.")
    metadata = header.get(METADATA_KEY)
    if metadata is None:
        metadata = {}
    if not (
        isinstance(metadata, dict)
        and all(isinstance(v, str) for v in metadata.values())  # keys are always strings
    ):
        raise CheckpointError(
            f"{name} is not a valid safetensors file: its __metadata__ should map text to text."
        )
    tensors = {
        key: _tensor(key, info, data_size, name)
        for key, info in header.items()
        if key != METADATA_KEY
    }
    # safetensors' own rule: sorted by offset, the tensors tile the data exactly.
    position = 0
    for span in sorted(tensors.values(), key=lambda t: (t.begin, t.end)):
        if span.begin != position:
            words = "overlaps another" if span.begin < position else "leaves a gap before it"
            raise CheckpointError(
                f"{name} is not a valid safetensors file: tensor {span.name[:80]!r} {words}."
            )
        position = span.end
    if position != data_size:
        raise CheckpointError(
            f"{name} is not a valid safetensors file: {data_size - position:,} bytes after "
            "its tensors belong to none of them."
        )
    return SafetensorsHeader(len(text), dict(metadata), tensors)


def parse_bytes(data: bytes, name: str) -> SafetensorsHeader:
    """Check the header of a whole safetensors file held in memory."""
    n = header_length(data[:8], len(data), name)
    return parse_header(data[8 : 8 + n], len(data) - 8 - n, name)


def read_safetensors_header(path: str | os.PathLike[str]) -> SafetensorsHeader:
    """Read and check a safetensors file's header without reading its tensors."""
    path = Path(path)
    try:
        # Non-blocking, so that a FIFO named like a model cannot hang the listing.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            info = os.fstat(fh.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise CheckpointError(f"{path.name} is not a regular file.")
            size = info.st_size
            n = header_length(fh.read(8), size, path.name)
            text = fh.read(n)
    except OSError as exc:
        raise CheckpointError(f"Cannot read {path.name}: {exc.strerror or exc}.") from None
    if len(text) < n:  # the file shrank while it was read
        raise CheckpointError(f"{path.name} is truncated inside its header.")
    return parse_header(text, size - 8 - n, path.name)
