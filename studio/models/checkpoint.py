"""Checkpoint files: one ``.safetensors`` per model with JSON metadata in its header.

Loading never unpickles. Legacy ``.pt/.pth/.pkl/.ckpt`` files are only read through
``torch.load(weights_only=True)``, which refuses code; anything that does not fit the
registry's architecture exactly is refused with a message naming the problem.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

# CheckpointError lives with the header parser (which needs no torch); imported from here.
from studio.models.header import CheckpointError as CheckpointError
from studio.models.header import read_safetensors_header
from studio.models.registry import build, config_from_dict, get_arch

FORMAT_VERSION = 1
META_KEY = "latent_studio"
MAX_CHECKPOINT_BYTES = 2 * 1024**3
PICKLE_SUFFIXES = {".pt", ".pth", ".pkl", ".ckpt"}
# Tensors stored beside the model that the model itself does not use (a GAN's
# discriminator, kept so fine-tuning can start from it).
EXTRA_PREFIX = "extra."
# Bounds on a file's config, checked before anything is built: otherwise a config could
# ask for a network of any width (building it first would take the memory, although its
# weights could never fit it) or any number of layers (the time). At these bounds every
# architecture builds in well under a GB; whole numbers not named here get the default.
CONFIG_LIMITS = {
    "mapping_layers": 64,
    "channel_base": 1 << 16,
    "channel_max": 1024,
    "max_channels": 1024,
    "base_channels": 1024,
    "decoder_channels": 1024,
    "width": 1024,
    "z_dim": 1024,
    "w_dim": 1024,
    "latent_dim": 1024,
    "feature_dim": 4096,
    "num_classes": 10_000,
}
DEFAULT_CONFIG_LIMIT = 1 << 16
# The metadata fields the studio reads, and the JSON type each must have: a file made
# by another program may hold anything there.
META_TYPES: dict[str, tuple[type, str]] = {
    "name": (str, "a string"),
    "arch": (str, "a string"),
    "kind": (str, "a string"),
    "resolution": (int, "a number"),
    "latent_size": (int, "a number"),
    "config": (dict, "an object"),
    "data": (dict, "an object"),
    "training": (dict, "an object"),
    "figures": (dict, "an object"),
    "classes": (list, "a list"),
    "directions": (dict, "an object"),
}


@dataclass
class LoadedModel:
    """A model ready to run, with what its file says about it."""

    module: nn.Module
    arch: str
    kind: str
    meta: dict[str, Any]
    path: Path
    extras: dict[str, torch.Tensor] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.meta.get("name") or self.path.stem)


def metadata_for(module: nn.Module, **extra: Any) -> dict[str, Any]:
    """The metadata every checkpoint carries, from the module plus ``extra`` fields."""
    m: Any = module  # every registered module has cfg, arch, resolution, latent_size
    cfg, arch = m.cfg, m.arch
    meta: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "arch": arch,
        "kind": get_arch(arch).kind,
        "config": dataclasses.asdict(cfg),
        "resolution": m.resolution,
        "latent_size": m.latent_size,
        "parameters": sum(p.numel() for p in module.parameters()),
    }
    meta.update(extra)
    return meta


def atomic_write(path: Path, write: Any) -> None:
    """Call ``write(tmp_path)`` then move the result over ``path`` in one step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes files private; models and state are not secret
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_checkpoint(
    module: nn.Module,
    path: str | os.PathLike[str],
    meta: dict[str, Any],
    half: bool = False,
    extras: dict[str, torch.Tensor] | None = None,
) -> Path:
    """Write weights and metadata to ``path`` atomically; ``half`` stores fp16 floats.

    ``extras`` are stored under ``extra.`` names and handed back by loading, unused by
    the module.
    """
    path = Path(path)
    tensors: dict[str, torch.Tensor] = {}
    named = {**module.state_dict(), **{EXTRA_PREFIX + k: v for k, v in (extras or {}).items()}}
    for key, value in named.items():
        t = value.detach().to("cpu")
        if half and t.is_floating_point():
            t = t.half()
        tensors[key] = t.contiguous().clone()
    header = {META_KEY: json.dumps({**meta, "dtype": "float16" if half else "float32"})}
    atomic_write(path, lambda tmp: save_file(tensors, tmp, metadata=header))
    return path


def read_header(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check a safetensors header without loading tensors; returns our metadata.

    Every field of the header is checked (see ``studio.models.header``); anything wrong
    is a ``CheckpointError`` naming the file.
    """
    path = Path(path)
    metadata = read_safetensors_header(path).metadata
    if META_KEY not in metadata:
        raise CheckpointError(
            f"{path.name} is a safetensors file but not a Latent Studio model (no metadata)."
        )
    return _parse_meta(metadata[META_KEY], path.name)


def _parse_meta(text: object, name: str) -> dict[str, Any]:
    """Our metadata from its JSON text, with every field the studio reads of the right
    type; ``CheckpointError`` naming the problem otherwise."""
    try:
        meta = json.loads(text) if isinstance(text, str) else None
    except (ValueError, RecursionError):  # bad JSON, an over-long number, deep nesting
        meta = None
    if not isinstance(meta, dict):
        raise CheckpointError(f"{name} has corrupt Latent Studio metadata.")
    for key, (kind, words) in META_TYPES.items():
        if key in meta and not isinstance(meta[key], kind):
            raise CheckpointError(
                f"{name} has corrupt Latent Studio metadata: {key!r} should be {words}."
            )
    return meta


def _check_meta(meta: dict[str, Any], name: str) -> tuple[Any, Any]:
    version = meta.get("format_version")
    if version != FORMAT_VERSION:
        raise CheckpointError(
            f"{name} uses checkpoint format {version!r}; this version reads {FORMAT_VERSION}."
        )
    try:
        arch = get_arch(str(meta.get("arch")))
    except KeyError as exc:
        raise CheckpointError(f"{name}: {exc.args[0]}") from None
    fields = meta.get("config")
    if not isinstance(fields, dict):
        raise CheckpointError(f"{name} has no model config in its metadata.")
    for key, value in fields.items():
        limit = CONFIG_LIMITS.get(key, DEFAULT_CONFIG_LIMIT)
        if isinstance(value, int) and value > limit:
            raise CheckpointError(f"{name} asks for {value:,} {key}; at most {limit:,} are built.")
    try:
        cfg = config_from_dict(arch, fields)
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"{name} has a config that does not fit {arch.name}: {exc}") from None
    return arch, cfg


def _load_pickle_format(path: Path) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointError(
            f"{path.name} was refused: it is a pickle file that contains code or objects other "
            "than plain tensors, and loading it could run that code. Only safetensors files and "
            "weights-only PyTorch files are accepted."
        ) from exc
    if not (isinstance(obj, dict) and isinstance(obj.get(META_KEY), str)):
        raise CheckpointError(
            f"{path.name} holds plain tensors but no Latent Studio metadata, so its architecture "
            "is unknown. Export models with `latent-studio export`."
        )
    state = obj.get("state_dict")
    if not isinstance(state, dict):
        raise CheckpointError(f"{path.name} has no state_dict.")
    for key, value in state.items():
        # weights_only lets plain numbers, strings and lists through as well as tensors.
        if not (isinstance(key, str) and isinstance(value, torch.Tensor)):
            raise CheckpointError(
                f"{path.name}: state_dict entry {str(key)[:80]!r} is not a tensor."
            )
    return _parse_meta(obj[META_KEY], path.name), state


def read_meta(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A model file's metadata, checked as loading checks it (a safetensors header is read
    without its tensors; a weights-only PyTorch file has to be read whole)."""
    path = Path(path)
    if path.suffix.lower() in PICKLE_SUFFIXES:
        return _load_pickle_format(path)[0]
    return read_header(path)


def check_state(module: nn.Module, state: dict[str, torch.Tensor], name: str) -> None:
    """Refuse a state dict whose keys or shapes differ from ``module``'s, naming them."""
    expected = module.state_dict()
    optional = set(getattr(module, "optional_state", ()))
    missing = sorted(set(expected) - set(state) - optional)
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing {len(missing)} tensors (e.g. {missing[0]})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected tensors (e.g. {unexpected[0]})")
        raise CheckpointError(f"{name} does not match its architecture: {'; '.join(parts)}.")
    for key, ref in expected.items():
        if key not in state:
            continue  # an optional tensor the module fills in itself
        got = state[key]
        if tuple(got.shape) != tuple(ref.shape):
            raise CheckpointError(
                f"{name}: tensor {key} has shape {tuple(got.shape)}, expected {tuple(ref.shape)}."
            )
        if got.is_floating_point() != ref.is_floating_point():
            raise CheckpointError(f"{name}: tensor {key} has the wrong type ({got.dtype}).")


def _build_for(arch: Any, cfg: Any, state: dict[str, torch.Tensor], name: str) -> nn.Module:
    """Build ``arch`` from ``cfg`` (bounded by ``CONFIG_LIMITS``) and check that ``state``
    fits it. Not on the meta device: its first arithmetic imports torch._dynamo, about
    1.7 s on a 2-core CPU, which every first load (and every CLI command) would pay."""
    try:
        module = build(arch.name, cfg)
    except (TypeError, ValueError, RuntimeError, OverflowError, MemoryError) as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]  # one line
        raise CheckpointError(
            f"{name}: its config does not build a {arch.name}: {reason}"
        ) from None
    check_state(module, state, name)
    return module


def check_finite(state: dict[str, torch.Tensor], name: str, prefix: str = "") -> None:
    """Refuse floating tensors holding NaN or infinity: such a model draws black images
    without any error. Checked once at load, by one sum per tensor: NaN and infinity
    always carry into a sum, so only a non-finite sum (which finite but huge weights can
    also give) needs the exact, five times slower element check."""
    for key, value in state.items():
        if not value.is_floating_point() or bool(torch.isfinite(value.sum())):
            continue
        if not bool(torch.isfinite(value).all()):
            raise CheckpointError(
                f"{name} is damaged: tensor {prefix}{key} holds values that are not finite "
                "numbers (NaN or infinity)."
            )


def load_checkpoint(
    path: str | os.PathLike[str], device: str | torch.device = "cpu"
) -> LoadedModel:
    """Load a model file into an eval-mode, frozen module on ``device``."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"No model file at {path}.")
    if path.stat().st_size > MAX_CHECKPOINT_BYTES:
        raise CheckpointError(f"{path.name} is larger than {MAX_CHECKPOINT_BYTES >> 30} GB.")
    if path.suffix.lower() in PICKLE_SUFFIXES:
        meta, state = _load_pickle_format(path)
    elif path.suffix.lower() == ".safetensors":
        meta = read_header(path)
        try:
            state = load_file(str(path), device="cpu")
        except (SafetensorError, OSError, ValueError) as exc:
            raise CheckpointError(f"{path.name} is not a valid safetensors file: {exc}") from None
    else:
        raise CheckpointError(
            f"{path.name}: unknown model file type {path.suffix!r}; use .safetensors."
        )
    arch, cfg = _check_meta(meta, path.name)
    extras = {
        k[len(EXTRA_PREFIX) :]: v.float() if v.is_floating_point() else v
        for k, v in state.items()
        if k.startswith(EXTRA_PREFIX)
    }
    state = {k: v for k, v in state.items() if not k.startswith(EXTRA_PREFIX)}
    module = _build_for(arch, cfg, state, path.name)
    # Stored fp16 to keep files small; compute in fp32.
    state = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
    check_finite(state, path.name)
    check_finite(extras, path.name, prefix=EXTRA_PREFIX)
    module.load_state_dict(state, strict=True)
    module.eval().requires_grad_(False).to(device)
    return LoadedModel(
        module=module, arch=arch.name, kind=arch.kind, meta=meta, path=path, extras=extras
    )


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
