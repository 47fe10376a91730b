"""A model file's identity, and rewriting its metadata without touching its weights.

Recipes name the model that made them by a SHA-256 (``model_sha256``). It was the hash of
the whole file, so adding a field to a model's metadata (its showcase seed, say) would
make every older recipe read as "made with another version". :func:`rewrite_metadata`
therefore keeps the tensor bytes exactly and records, in the metadata, the identity the
file had before (``identity.sha256``) with a hash of its tensors
(``identity.tensors_sha256``). :func:`model_sha256` returns that recorded identity while
the tensors still match it, and the file's own hash otherwise, so retrained weights
under old metadata are never mistaken for the old model.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import tempfile
from pathlib import Path
from typing import Any

from studio.models.checkpoint import CheckpointError

META_KEY = "latent_studio"
MAX_HEADER_BYTES = 16 * 1024 * 1024
CHUNK = 1 << 20


def _read_header(fh: Any, name: str, size: int) -> tuple[bytes, dict[str, Any]]:
    raw = fh.read(8)
    if len(raw) < 8:
        raise CheckpointError(f"{name} is too short to be a safetensors file.")
    (length,) = struct.unpack("<Q", raw)
    if length > min(MAX_HEADER_BYTES, size - 8):
        raise CheckpointError(f"{name} is not a valid safetensors file (header length is wrong).")
    text = fh.read(length)
    try:
        header = json.loads(text)
    except (ValueError, RecursionError):
        header = None
    if not isinstance(header, dict):
        raise CheckpointError(f"{name} has an unreadable safetensors header.")
    return raw + text, header


def _tensor_entries(header: dict[str, Any]) -> bytes:
    """The tensor part of a header (names, dtypes, shapes, offsets) in a fixed form."""
    tensors = {k: v for k, v in header.items() if k != "__metadata__"}
    return json.dumps(tensors, sort_keys=True, separators=(",", ":")).encode()


def _hashes(path: Path) -> tuple[str, str, dict[str, Any]]:
    """(whole-file SHA-256, tensors SHA-256, header) in one read of the file."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head, header = _read_header(fh, path.name, size)
            whole = hashlib.sha256(head)
            tensors = hashlib.sha256(_tensor_entries(header))
            for chunk in iter(lambda: fh.read(CHUNK), b""):
                whole.update(chunk)
                tensors.update(chunk)
    except OSError as exc:
        raise CheckpointError(f"Cannot read {path.name}: {exc.strerror or exc}.") from exc
    return whole.hexdigest(), tensors.hexdigest(), header


def _studio_meta(header: dict[str, Any]) -> dict[str, Any]:
    md = header.get("__metadata__")
    text = md.get(META_KEY) if isinstance(md, dict) else None
    try:
        meta = json.loads(text) if isinstance(text, str) else None
    except (ValueError, RecursionError):
        meta = None
    return meta if isinstance(meta, dict) else {}


def tensors_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a safetensors file's tensors: their header entries and their bytes
    (not the metadata)."""
    return _hashes(Path(path))[1]


def model_sha256(path: str | os.PathLike[str]) -> str:
    """The identity recipes name a model file by (see the module docstring)."""
    whole, tensors, header = _hashes(Path(path))
    identity = _studio_meta(header).get("identity")
    if (
        isinstance(identity, dict)
        and identity.get("tensors_sha256") == tensors
        and isinstance(identity.get("sha256"), str)
        and len(identity["sha256"]) == 64
    ):
        return str(identity["sha256"])
    return whole


def rewrite_metadata(path: str | os.PathLike[str], changes: dict[str, Any]) -> dict[str, Any]:
    """Merge ``changes`` into the file's Latent Studio metadata, in place and atomically;
    the tensor bytes stay byte for byte. Returns the new metadata."""
    path = Path(path)
    identity = model_sha256(path)
    _, tensors, header = _hashes(path)
    meta = _studio_meta(header)
    if not meta:
        raise CheckpointError(f"{path.name} is not a Latent Studio model (no metadata).")
    meta = {**meta, **changes, "identity": {"sha256": identity, "tensors_sha256": tensors}}
    md = header.get("__metadata__")
    header["__metadata__"] = {**(md if isinstance(md, dict) else {}), META_KEY: json.dumps(meta)}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # safetensors keeps the data 8-byte aligned
    size = path.stat().st_size
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out, open(path, "rb") as src:
            _read_header(src, path.name, size)  # skip the old header
            out.write(struct.pack("<Q", len(text)) + text)
            for chunk in iter(lambda: src.read(CHUNK), b""):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, path.stat().st_mode & 0o777)
        if tensors_sha256(tmp) != tensors:
            raise CheckpointError(f"{path.name}: rewriting its metadata changed its tensors.")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return meta
